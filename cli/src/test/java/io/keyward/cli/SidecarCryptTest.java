package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code encrypt}/{@code decrypt --sidecar-url}: the requests follow the sidecar's HTTP API and its
 * error statuses become exit codes. A small fake sidecar answers with what each case needs.
 */
class SidecarCryptTest {
  HttpServer server;
  final List<JsonNode> requests = new ArrayList<>();
  final AtomicInteger status = new AtomicInteger(200);
  final AtomicReference<String> reply = new AtomicReference<>("{}");
  CliRunner cli = new CliRunner(Map.of());

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/", exchange -> {
      synchronized (requests) {
        JsonNode body = Output.JSON.readTree(exchange.getRequestBody());
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_path", exchange.getRequestURI().getPath());
        ((com.fasterxml.jackson.databind.node.ObjectNode) body)
            .put("_contentType", exchange.getRequestHeaders().getFirst("Content-Type"));
        requests.add(body);
      }
      byte[] out = reply.get().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status.get(), out.length);
      exchange.getResponseBody().write(out);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Test
  void encryptPostsKeyBase64PlaintextAndContext() throws Exception {
    reply.set("{\"ciphertext\":\"kw1.AQEXAMPLE\",\"key\":\"orders\",\"version\":3}");

    CliRunner.Result r = cli.runWithInput("hello", "encrypt", "--sidecar-url", url(), "--key", "orders",
        "--context", "tenant=acme");

    assertEquals(0, r.code(), r::toString);
    assertEquals("kw1.AQEXAMPLE\n", r.out());
    JsonNode sent = requests.get(0);
    assertEquals("/v1/encrypt", sent.get("_path").asText());
    assertEquals("application/json", sent.get("_contentType").asText());
    assertEquals("orders", sent.get("key").asText());
    assertEquals(Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8)),
        sent.get("plaintext").asText());
    assertEquals("acme", sent.get("context").get("tenant").asText());
  }

  @Test
  void decryptPostsTheCiphertextAndWritesTheDecodedPlaintext() throws Exception {
    reply.set("{\"plaintext\":\"" + Base64.getEncoder().encodeToString(new byte[] {0, 1, (byte) 0xFF}) + "\"}");

    CliRunner.Result r = cli.runWithInput("kw1.AQEXAMPLE\n", "decrypt", "--sidecar-url", url(), "--context", "a=b");

    assertEquals(0, r.code(), r::toString);
    assertEquals(3, r.outBytes().length);
    assertEquals((byte) 0xFF, r.outBytes()[2]);
    assertEquals("kw1.AQEXAMPLE", requests.get(0).get("ciphertext").asText());
    assertEquals("b", requests.get(0).get("context").get("a").asText());
    assertEquals("/v1/decrypt", requests.get(0).get("_path").asText());
  }

  @Test
  void sidecarErrorsBecomeExitCodesWithTheSidecarsMessage() throws Exception {
    int[][] cases = {{401, ExitCodes.NOT_AUTHORIZED}, {403, ExitCodes.NOT_AUTHORIZED}, {404, ExitCodes.NOT_FOUND},
        {400, ExitCodes.USAGE}, {415, ExitCodes.USAGE}, {409, ExitCodes.FAILED_PRECONDITION},
        {422, ExitCodes.FAILED}, {503, ExitCodes.UNAVAILABLE}, {500, ExitCodes.FAILED}};
    List<String> failures = new ArrayList<>();
    for (int[] c : cases) {
      status.set(c[0]);
      reply.set("{\"error\":{\"code\":\"some_code\",\"message\":\"reason " + c[0] + "\"}}");
      CliRunner.Result r = cli.runWithInput("x", "encrypt", "--sidecar-url", url());
      if (r.code() != c[1] || !r.err().strip().equals("keyward: sidecar: some_code: reason " + c[0])) {
        failures.add(c[0] + " -> " + r);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void anUnreachableSidecarIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CliRunner.Result r = cli.runWithInput("x", "encrypt", "--sidecar-url", "http://127.0.0.1:" + port);
    assertEquals(ExitCodes.UNAVAILABLE, r.code(), r::toString);
    assertTrue(r.err().startsWith("keyward: unavailable"), r::toString);
  }
}
