package io.keyward.sidecar.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KmsPluginMainTest {
  private static final PrintStream NOWHERE = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

  @Test
  void flagsBuildSettings() {
    KmsPluginSettings s = KmsPluginMain.parse(List.of("--socket", "/var/run/keyward/kms.sock", "--key=k8s-secrets",
        "--server", "keyserver.example:8443", "--ca-cert", "/etc/keyward/ca.crt", "--token-file", "/var/run/t"),
        Map.of(), NOWHERE);

    assertEquals(Path.of("/var/run/keyward/kms.sock"), s.socket());
    assertEquals("k8s-secrets", s.keyName());
    assertEquals("keyserver.example:8443", s.keyserverAddress());
    assertEquals(Path.of("/etc/keyward/ca.crt"), s.caCertificate().orElseThrow());
    assertEquals(KmsPluginSettings.DEFAULT_STATE_MAX_AGE, s.stateMaxAge());
    assertTrue(s.toString().contains("TokenSources.file(/var/run/t)"), s.toString());
  }

  @Test
  void environmentFillsInWhatFlagsLeaveOut() {
    KmsPluginSettings s = KmsPluginMain.parse(List.of("--socket", "/run/kms.sock", "--key", "k"),
        Map.of("KEYWARD_SERVER", "ks:1", "KEYWARD_CA_CERT", "/ca.pem", "KEYWARD_TOKEN_FILE", "/token"), NOWHERE);

    assertEquals("ks:1", s.keyserverAddress());
    assertEquals(Path.of("/ca.pem"), s.caCertificate().orElseThrow());
  }

  @Test
  void flagsWinOverEnvironment() {
    KmsPluginSettings s = KmsPluginMain.parse(
        List.of("--socket", "/run/kms.sock", "--key", "k", "--server", "flag:1", "--token-file", "/t"),
        Map.of("KEYWARD_SERVER", "env:1"), NOWHERE);

    assertEquals("flag:1", s.keyserverAddress());
    assertTrue(s.caCertificate().isEmpty());
  }

  @Test
  void badCommandLinesSayWhatIsWrong() {
    Map<String, String> env = Map.of("KEYWARD_SERVER", "ks:1", "KEYWARD_TOKEN_FILE", "/t");
    Map<List<String>, String> cases = Map.of(
        List.of("--key", "k"), "--socket is required",
        List.of("--socket", "/s"), "--key is required",
        List.of("--socket", "/s", "--key", "k", "--bogus", "x"), "unknown option --bogus",
        List.of("--socket", "/s", "--key"), "--key needs a value",
        List.of("--socket", "/s", "--socket", "/t", "--key", "k"), "--socket given twice",
        List.of("--socket", "/s", "--key", "not a name"), "key name must be");
    cases.forEach((args, message) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> KmsPluginMain.parse(args, env, NOWHERE), args.toString());
      assertTrue(e.getMessage().startsWith(message), e.getMessage());
    });
    IllegalArgumentException noServer = assertThrows(IllegalArgumentException.class,
        () -> KmsPluginMain.parse(List.of("--socket", "/s", "--key", "k", "--token-file", "/t"), Map.of(), NOWHERE));
    assertEquals("--server (or KEYWARD_SERVER) is required", noServer.getMessage());
  }

  @Test
  void helpPrintsUsage() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    assertNull(KmsPluginMain.parse(List.of("--help"), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8)));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("keyward kms-plugin --socket PATH --key NAME"));
  }

  @Test
  void runReturnsUsageErrorWithoutStarting() {
    assertEquals(KmsPluginMain.USAGE, KmsPluginMain.run(new String[] {"--key", "k"}));
  }

  @Test
  void settingsRejectBadValues() {
    KmsPluginSettings.Builder b = KmsPluginSettings.builder();
    assertEquals("socket must be an absolute file path, got kms.sock",
        assertThrows(IllegalArgumentException.class, () -> b.socket(Path.of("kms.sock"))).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.socket(Path.of("/" + "a".repeat(120))))
        .getMessage().startsWith("socket path must be at most 107 bytes"));
    assertEquals("state max-age must be positive and at most PT24H, got PT-5S",
        assertThrows(IllegalArgumentException.class, () -> b.stateMaxAge(Duration.ofSeconds(-5))).getMessage());
    assertEquals("call deadline must be positive and at most PT24H, got PT0S",
        assertThrows(IllegalArgumentException.class, () -> b.callDeadline(Duration.ZERO)).getMessage());
    assertEquals("seed cache max entries must be 1..1000000, got 0",
        assertThrows(IllegalArgumentException.class, () -> b.seedCacheMaxEntries(0)).getMessage());
    assertEquals("keyserver address must be host:port, got \"a b\"",
        assertThrows(IllegalArgumentException.class, () -> b.keyserverAddress("a b")).getMessage());
    assertEquals("socket is required", assertThrows(IllegalStateException.class, b::build).getMessage());
  }
}
