package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up without a keyserver, refusals, readiness before the first contact, the proxy hook. */
class LauncherTest {
  @TempDir Path dir;

  private SidecarConfig config(String yaml, String... flags) throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "header.payload.signature");
    return SidecarConfig.load(Optional.of(Files.writeString(dir.resolve("s.yaml"), """
        keyserver: {address: "127.0.0.1:1", insecurePlaintext: true, callDeadline: 500ms}
        tokenFile: %s
        listen: {http: "127.0.0.1:0", grpc: "127.0.0.1:0"}
        shutdownGracePeriod: 0s
        """.formatted(token) + yaml)), Map.of(), List.of(flags));
  }

  @Test
  void startsWithoutAKeyserverAndIsAliveButNotReady() throws Exception {
    long t0 = System.nanoTime();
    try (SidecarLauncher.Running r = SidecarLauncher.start(config(""))) {
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(millis < 2000, "start took " + millis + " ms");
      var http = java.net.http.HttpClient.newHttpClient();
      var healthz = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + r.httpPort() + "/healthz")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, healthz.statusCode());
      var readyz = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + r.httpPort() + "/readyz")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(503, readyz.statusCode());
      assertTrue(readyz.body().contains("\"status\":\"not_ready\""), readyz.body());
    }
  }

  @Test
  void unreadableTokenFileMakesReadyzSaySo() throws Exception {
    SidecarConfig c = config("", "--token-file", dir.resolve("absent").toString());
    try (SidecarLauncher.Running r = SidecarLauncher.start(c)) {
      var readyz = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(
              "http://127.0.0.1:" + r.httpPort() + "/readyz")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(503, readyz.statusCode());
      assertTrue(readyz.body().contains("identity token file is unreadable"), readyz.body());
    }
  }

  @Test
  void portInUseFailsStartupAndReleasesWhatWasStarted() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      SidecarConfig c = config("", "--grpc-listen", "127.0.0.1:" + taken.getLocalPort());
      SidecarLauncher.StartupException e =
          assertThrows(SidecarLauncher.StartupException.class, () -> SidecarLauncher.start(c));
      assertNotNull(e.getMessage());
    }
  }

  @Test
  void proxyRoutesAreHandedToTheHookAndClosedOnShutdown() throws Exception {
    SidecarConfig c = config("proxy:\n  - name: orders\n    listen: 127.0.0.1:0\n");
    AtomicReference<List<Map<String, Object>>> seen = new AtomicReference<>();
    AtomicBoolean closed = new AtomicBoolean();
    ProxyRoutes hook = (routes, context) -> {
      seen.set(routes);
      assertNotNull(context.client());
      assertNotNull(context.metricRegistry());
      return () -> closed.set(true);
    };
    SidecarLauncher.start(c, hook).close();
    assertEquals("orders", seen.get().get(0).get("name"));
    assertTrue(closed.get());
  }

  @Test
  void invalidProxyRouteOrMissingProxyFailsStartup() throws Exception {
    SidecarConfig c = config("proxy:\n  - name: orders\n");
    ProxyRoutes refusing = (routes, context) -> {
      throw new IllegalArgumentException("proxy[0].upstream is required");
    };
    SidecarLauncher.StartupException e = assertThrows(SidecarLauncher.StartupException.class,
        () -> SidecarLauncher.start(c, refusing));
    assertEquals("invalid proxy configuration: proxy[0].upstream is required", e.getMessage());
    assertThrows(SidecarLauncher.StartupException.class, () -> SidecarLauncher.start(c, null));
  }
}
