package io.keyward.sidecar.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.kms.v2.StatusRequest;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code KmsPluginMain} as its own process: serves until SIGTERM, then removes its socket. */
class KmsPluginProcessTest {
  @TempDir Path dir;
  private KmsTestBed bed;
  private Process process;

  @BeforeEach
  void setUp() throws Exception {
    bed = new KmsTestBed(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    bed.close();
  }

  @Test
  void servesUntilSigtermThenRemovesTheSocket() throws Exception {
    Path socket = bed.socket("kms.sock");
    Path token = Files.writeString(dir.resolve("token"), bed.keyserver.tokenFor(KmsTestBed.KMS_NAMESPACE,
        KmsTestBed.KMS_ACCOUNT));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(),
        "-cp", System.getProperty("java.class.path"), KmsPluginMain.class.getName(),
        "--socket", socket.toString(), "--key", KmsTestBed.KEY, "--token-file", token.toString()))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("plugin.log").toFile());
    builder.environment().put("KEYWARD_SERVER", bed.keyserver.address());
    builder.environment().put("KEYWARD_CA_CERT", bed.keyserver.caCertificate().toString());
    process = builder.start();

    assertTrue(awaitListening(socket), "plugin did not start: " + Files.readString(dir.resolve("plugin.log")));
    assertEquals("ok", bed.client(socket).status(StatusRequest.getDefaultInstance()).getHealthz());

    process.destroy(); // SIGTERM

    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "plugin did not stop on SIGTERM");
    assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket removed on exit");
    String log = Files.readString(dir.resolve("plugin.log"));
    assertTrue(log.contains("KMS v2 plugin stopped"), log);
    assertFalse(log.contains(Files.readString(token)), "the token never reaches the log");
  }

  /** Waits for the child JVM to start listening (process start-up, not an expiry). */
  private boolean awaitListening(Path socket) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (SocketFiles.isLive(socket)) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }
}
