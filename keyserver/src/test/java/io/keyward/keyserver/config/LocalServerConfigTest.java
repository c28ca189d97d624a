package io.keyward.keyserver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalServerConfigTest {
  @TempDir Path dir;

  @Test
  void writesAFileTheServerConfigurationAccepts() throws Exception {
    Path file = LocalServerConfig.builder()
        .comment("test")
        .listenPort(7443)
        .tls(dir.resolve("server.pem"), dir.resolve("server-key.pem"))
        .store("sqlite:" + dir.resolve("keyward.db"))
        .rootKeyFile(dir.resolve("root.key"))
        .issuer("https://issuer.test", dir.resolve("jwks.json"))
        .policyFile(dir.resolve("policy.yaml"))
        .destroyWaitingPeriods("0s", "24h")
        .shutdownGracePeriod("3s")
        .writeTo(dir.resolve("keyward.yaml"));
    ServerConfig config = ServerConfig.load(Optional.of(file), Map.of(), List.of());
    assertEquals(7443, config.listen().port());
    assertEquals("sqlite:" + dir.resolve("keyward.db"), config.store());
    assertEquals(Duration.ZERO, config.keys().destroyMinWaitingPeriod());
    assertEquals(Duration.ofHours(24), config.keys().destroyDefaultWaitingPeriod());
    assertEquals(Duration.ofSeconds(3), config.shutdownGracePeriod());
    assertEquals("https://issuer.test", config.identity().issuers().get(0).issuer());
    assertEquals(Optional.empty(), config.metricsListen());
  }

  @Test
  void refusesABadPort() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LocalServerConfig.builder().listenPort(70000));
    assertEquals("listen port must be 0..65535, got 70000", e.getMessage());
  }
}
