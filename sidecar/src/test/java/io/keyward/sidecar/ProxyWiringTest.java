package io.keyward.sidecar;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.keyward.keyserver.NetworkKeyserver;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sidecar started the production way serves its configured proxy routes. */
class ProxyWiringTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void configuredRouteEncryptsTheFieldOnItsWayUpstream() throws Exception {
    AtomicReference<String> received = new AtomicReference<>();
    HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext("/", exchange -> {
      received.set(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    upstream.start();
    int proxyPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      proxyPort = probe.getLocalPort();
    }
    try (NetworkKeyserver keyserver = NetworkKeyserver.start(Files.createDirectories(dir.resolve("ks")))) {
      keyserver.createKey("a-cards");
      Path token = Files.writeString(dir.resolve("token"), keyserver.tokenFor("a", "app"));
      Path config = Files.writeString(dir.resolve("sidecar.yaml"), """
          keyserver:
            address: %s
            caFile: %s
          tokenFile: %s
          listen:
            http: 127.0.0.1:0
            grpc: 127.0.0.1:0
          shutdownGracePeriod: 1s
          proxy:
            - name: cards
              listen: 127.0.0.1:%d
              upstream: http://127.0.0.1:%d
              rules:
                - methods: [POST]
                  path: /cards
                  encrypt:
                    - field: /number
                  key: a-cards
          """.formatted(keyserver.address(), keyserver.caCertificate(), token, proxyPort,
          upstream.getAddress().getPort()));
      try (SidecarLauncher.Running sidecar =
          SidecarLauncher.start(SidecarConfig.load(Optional.of(config), Map.of(), List.of()))) {
        HttpResponse<String> reply = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/cards"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"number\":\"4111111111111111\",\"name\":\"Ada\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(204, reply.statusCode());
      }
    } finally {
      upstream.stop(0);
    }
    JsonNode body = JSON.readTree(received.get());
    assertTrue(body.get("number").asText().startsWith("kw1."), received.get());
    assertFalse(received.get().contains("4111111111111111"));
    assertEquals("Ada", body.get("name").asText());
  }
}
