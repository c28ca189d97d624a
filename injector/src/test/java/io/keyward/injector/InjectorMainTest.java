package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InjectorMainTest {
  @TempDir Path dir;

  @Test
  void badFlagsAndConfigExitWithTwo() throws Exception {
    TestCertificates certs = TestCertificates.create(dir);
    String cert = certs.serverCert().toString();
    String key = certs.serverKey().toString();
    Path badConfig = Files.writeString(dir.resolve("bad.yaml"), "sidecarImage: x\nsidecarImgae: y\n");
    Path okConfig = Files.writeString(dir.resolve("ok.yaml"), "sidecarImage: x\n");
    String[][] bad = {
        {"--tls-key-file", key},
        {"--tls-cert-file", cert, "--tls-key-file", key},
        {"--tls-cert-file", cert, "--tls-key-file", key, "--sidecar-image", "x", "--bogus", "1"},
        {"--tls-cert-file", cert, "--tls-key-file", key, "--config", badConfig.toString()},
        {"--tls-cert-file", cert, "--tls-key-file", key, "--config", okConfig.toString(), "--listen", "nonsense"},
        {"--tls-cert-file", dir.resolve("missing.pem").toString(), "--tls-key-file", key, "--sidecar-image", "x"},
        {"--tls-cert-file", cert, "--tls-key-file", key, "--sidecar-image", "x", "--legacy-sidecar=maybe"},
    };
    for (String[] args : bad) {
      assertEquals(2, InjectorMain.run(args, Map.of(), new CountDownLatch(0)), String.join(" ", args));
    }
  }

  @Test
  void runsUntilStopped() throws Exception {
    TestCertificates certs = TestCertificates.create(dir);
    CountDownLatch stop = new CountDownLatch(1);
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> InjectorMain.run(new String[] {
        "--listen", "127.0.0.1:0", "--tls-cert-file", certs.serverCert().toString(),
        "--tls-key-file", certs.serverKey().toString(), "--sidecar-image", "x", "--legacy-sidecar"},
        Map.of("POD_NAMESPACE", "keyward"), stop));
    stop.countDown();
    assertEquals(0, exit.get(30, TimeUnit.SECONDS));
  }

  @Test
  void configFileSetsEveryDefault() throws Exception {
    TestCertificates certs = TestCertificates.create(dir);
    Path file = Files.writeString(dir.resolve("injector.yaml"), String.join("\n",
        "sidecarImage: registry.example.com/keyward/sidecar@sha256:" + "a".repeat(64),
        "imagePullPolicy: Always",
        "keyserver: keyserver.keyward.svc.cluster.local:443",
        "keyserverCaFile: " + certs.caCert(),
        "legacySidecar: true",
        "tokenAudience: keyward-prod",
        "tokenExpirationSeconds: 1800",
        "sidecarHttpPort: 8700",
        "sidecarGrpcPort: 8701",
        "sidecarHealthPort: 8702",
        "cpuRequest: 20m",
        "memoryRequest: 96Mi",
        "cpuLimit: '1'",
        "memoryLimit: ''",
        ""));
    InjectorConfig.Builder b = InjectorConfig.builder();
    ConfigFile.apply(file, b);
    InjectorConfig c = b.build();
    assertEquals("Always", c.imagePullPolicy());
    assertEquals("keyserver.keyward.svc.cluster.local:443", c.keyserver());
    assertTrue(c.keyserverCaPem().orElseThrow().contains("BEGIN CERTIFICATE"));
    assertEquals(false, c.nativeSidecar());
    assertEquals("keyward-prod", c.tokenAudience());
    assertEquals(1800, c.tokenExpirationSeconds());
    assertEquals(8700, c.httpPort());
    assertEquals(8701, c.grpcPort());
    assertEquals(8702, c.healthPort());
    assertEquals("20m", c.cpuRequest());
    assertEquals("96Mi", c.memoryRequest());
    assertEquals(Optional.of("1"), c.cpuLimit());
    assertEquals(Optional.empty(), c.memoryLimit());
    assertTrue(c.toString().contains("keyserverCa=set") && !c.toString().contains("BEGIN"));
  }

  @Test
  void configFileErrorsNameTheSetting() throws Exception {
    Path dup = Files.writeString(dir.resolve("dup.yaml"), "sidecarImage: a\nsidecarImage: b\n");
    Path port = Files.writeString(dir.resolve("port.yaml"), "sidecarHttpPort: eighty\n");
    Path list = Files.writeString(dir.resolve("list.yaml"), "sidecarImage: [a, b]\n");
    assertThrows(IllegalArgumentException.class, () -> ConfigFile.apply(dup, InjectorConfig.builder()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigFile.apply(port, InjectorConfig.builder()));
    assertEquals(port + ": sidecarHttpPort must be a whole number, got 'eighty'", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConfigFile.apply(list, InjectorConfig.builder()));
  }
}
