package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultTrustStoreTest {
  @TempDir Path dir;

  private SidecarConfig config(String... flags) throws Exception {
    return SidecarConfig.load(Optional.empty(), Map.of(), List.of(flags));
  }

  @Test
  void emptiedWhenTheKeyserverChannelTrustsItsOwnCa() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    Properties system = new Properties();
    assertTrue(DefaultTrustStore.emptyWhenUnused(
        config("--keyserver", "k:1", "--keyserver-ca-file", ca.toString()), system));
    assertEquals("NONE", system.getProperty("javax.net.ssl.trustStore"));
  }

  @Test
  void keptWhenTheKeyserverIsTrustedThroughTheJdkStore() throws Exception {
    Properties system = new Properties();
    assertFalse(DefaultTrustStore.emptyWhenUnused(config("--keyserver", "k:1"), system));
    assertFalse(DefaultTrustStore.emptyWhenUnused(
        config("--keyserver", "k:1", "--keyserver-insecure-plaintext", "true"), system));
    assertNull(system.getProperty("javax.net.ssl.trustStore"));
  }

  @Test
  void anOperatorsChoiceStands() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    Properties system = new Properties();
    system.setProperty("javax.net.ssl.trustStore", "/etc/pki/mine.p12");
    assertFalse(DefaultTrustStore.emptyWhenUnused(
        config("--keyserver", "k:1", "--keyserver-ca-file", ca.toString()), system));
    assertEquals("/etc/pki/mine.p12", system.getProperty("javax.net.ssl.trustStore"));
  }

  /** The JDK reads "NONE" as an empty store; a missing file would fall back to cacerts. */
  @Test
  void theJdkTrustsNothingByDefaultWithTheEmptyStore() throws Exception {
    assertEquals("0", defaultTrustAnchorsInChildJvm("NONE"));
    assertTrue(Integer.parseInt(defaultTrustAnchorsInChildJvm(null)) > 0,
        "the JDK's cacerts should hold public CAs");
  }

  private static String defaultTrustAnchorsInChildJvm(String trustStore) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (trustStore != null) {
      command.add("-Djavax.net.ssl.trustStore=" + trustStore);
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        PrintDefaultTrustAnchors.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /** Prints how many CAs the JDK's default trust manager accepts. */
  public static final class PrintDefaultTrustAnchors {
    public static void main(String[] args) throws Exception {
      TrustManagerFactory f = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      f.init((java.security.KeyStore) null);
      System.out.println(((X509TrustManager) f.getTrustManagers()[0]).getAcceptedIssuers().length);
    }
  }
}
