package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP edge cases of the proxy that need no keyserver: a crypto that must never be called (no
 * field is configured to match, or the failure happens before any crypto), against upstreams
 * that misbehave on purpose.
 */
@Timeout(30)
class ProxyEdgeCaseTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A crypto that fails the test if the proxy ever uses it. */
  static final FieldCrypto UNUSED = new FieldCrypto() {
    @Override
    public String encryptToText(String keyName, byte[] plaintext, Map<String, String> context) {
      throw new AssertionError("encrypt must not be called");
    }

    @Override
    public byte[] decryptText(String ciphertext, Map<String, String> context) {
      throw new AssertionError("decrypt must not be called");
    }

    @Override
    public boolean looksLikeCiphertext(String value) {
      return value.startsWith("kw1.");
    }
  };

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private FieldProxy proxy;
  private AutoCloseable upstream;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  private void start(String upstreamUrl, long maxBody) throws Exception {
    proxy = FieldProxy.start(FieldProxyTest.route(
        FieldProxyTest.routeYaml("edge", upstreamUrl, "/v1", true, maxBody)), UNUSED);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + proxy.port() + path);
  }

  private static String raw(Socket socket, String request) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void aJsonResponseOverTheLimitIsAnErrorNotAPartialOrUndecryptedBody() throws Exception {
    RecordingUpstream u = RecordingUpstream.start();
    upstream = u;
    String big = "{\"card\":{\"number\":\"kw1." + "A".repeat(4000) + "\"}}";
    u.stored.put("/v1/customers/1", big.getBytes(StandardCharsets.UTF_8));
    start(u.url(), 1024);

    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/customers/1")).build(),
        BodyHandlers.ofString());

    assertEquals(502, r.statusCode());
    assertEquals("response_too_large", JSON.readTree(r.body()).at("/error/code").asText());
  }

  @Test
  void headAndBodylessResponsesOnADecryptingPathDoNotHang() throws Exception {
    RecordingUpstream u = RecordingUpstream.start();
    upstream = u;
    u.handle("/v1/customers/head", ex -> {
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.getResponseHeaders().set("X-Head", "yes");
      ex.sendResponseHeaders(ex.getRequestMethod().equals("HEAD") ? 200 : 204, -1);
      ex.close();
    });
    start(u.url(), 1024);

    HttpResponse<String> head = http.send(HttpRequest.newBuilder(uri("/v1/customers/head"))
        .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofString());
    assertEquals(200, head.statusCode());
    assertEquals("yes", head.headers().firstValue("X-Head").orElse(""));
    HttpResponse<String> none = http.send(HttpRequest.newBuilder(uri("/v1/customers/head"))
        .DELETE().build(), BodyHandlers.ofString());
    assertEquals(204, none.statusCode());
    assertEquals("", none.body());
  }

  @Test
  void expectContinueIsHandled() throws Exception {
    RecordingUpstream u = RecordingUpstream.start();
    upstream = u;
    start(u.url(), 1024);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/other"))
        .expectContinue(true).POST(BodyPublishers.ofString("payload")).build(), BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
    assertEquals("payload", u.last().bodyText());
  }

  @Test
  void http10ClientsGetHttp10ResponsesDelimitedByClose() throws Exception {
    RecordingUpstream u = RecordingUpstream.start();
    upstream = u;
    u.handle("/v1/chunky", ex -> {
      ex.getResponseHeaders().set("Content-Type", "text/plain");
      ex.sendResponseHeaders(200, 0); // chunked towards the proxy
      try (OutputStream out = ex.getResponseBody()) {
        out.write("hello ".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        out.write("world".getBytes(StandardCharsets.US_ASCII));
      }
    });
    start(u.url(), 1024);
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      String response = raw(s, "GET /v1/chunky HTTP/1.0\r\n\r\n");
      assertTrue(response.startsWith("HTTP/1.0 200"), response);
      assertTrue(!response.toLowerCase().contains("transfer-encoding"), response);
      assertTrue(response.endsWith("\r\n\r\nhello world"), response);
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    RecordingUpstream u = RecordingUpstream.start();
    upstream = u;
    u.stored.put("/v1/customers/a", "{\"n\":\"first\"}".getBytes(StandardCharsets.UTF_8));
    u.stored.put("/v1/customers/b", "{\"n\":\"second\"}".getBytes(StandardCharsets.UTF_8));
    start(u.url(), 1024);
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      String response = raw(s, "GET /v1/customers/a HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /v1/customers/b HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /v1/customers/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      int first = response.indexOf("{\"n\":\"first\"}");
      int second = response.indexOf("{\"n\":\"second\"}");
      int third = response.indexOf("HTTP/1.1 404");
      assertTrue(first > 0 && second > first && third > second, response);
    }
  }

  @Test
  void anUpstreamThatHangsUpWithoutAnsweringIs502() throws Exception {
    ScriptedUpstream u = new ScriptedUpstream((socket, head) -> socket.close());
    upstream = u;
    start(u.url(), 1024);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/other")).build(),
        BodyHandlers.ofString());
    assertEquals(502, r.statusCode());
    assertEquals("upstream_unavailable", JSON.readTree(r.body()).at("/error/code").asText());
  }

  @Test
  void aTruncatedStreamedResponseIsCutNotCompleted() throws Exception {
    ScriptedUpstream u = new ScriptedUpstream((socket, head) -> {
      socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
          + "Content-Length: 100\r\n\r\nonly ten b").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      socket.close();
    });
    upstream = u;
    start(u.url(), 1024);
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri("/v1/other")).build(),
        BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    try (InputStream in = r.body()) {
      assertThrows(IOException.class, in::readAllBytes);
    }
  }

  @Test
  void aCloseDelimitedUpstreamBodyReachesAnHttp11ClientChunked() throws Exception {
    ScriptedUpstream u = new ScriptedUpstream((socket, head) -> {
      socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
          + "Connection: close\r\n\r\nuntil the end").getBytes(StandardCharsets.US_ASCII));
      socket.close();
    });
    upstream = u;
    start(u.url(), 1024);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/other")).build(),
        BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("until the end", r.body());
    assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElse(""));
    // and the next request, on a fresh upstream connection, works too
    assertEquals("until the end", http.send(HttpRequest.newBuilder(uri("/v1/other")).build(),
        BodyHandlers.ofString()).body());
  }

  @Test
  void anUpstreamThatAnswersBeforeReadingTheBodyIsRelayedAndTheConnectionStaysUsable() throws Exception {
    ScriptedUpstream u = new ScriptedUpstream((socket, head) -> {
      socket.getOutputStream().write(("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n"
          + "Connection: close\r\n\r\nnope").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      socket.shutdownOutput();
      socket.getInputStream().transferTo(OutputStream.nullOutputStream()); // then drain politely
    });
    upstream = u;
    start(u.url(), 1024);
    byte[] body = new byte[2 * 1024 * 1024];
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.write("GET /v1/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(response.startsWith("HTTP/1.1 413 Payload Too Large"), response);
      assertTrue(response.contains("nope"), response);
      int second = response.indexOf("HTTP/1.1 413", 10);
      assertTrue(second > 0, "the next request on the connection is answered: " + response);
    }
  }

  @Test
  void aBrokenUpstreamResponseIs502() throws Exception {
    ScriptedUpstream u = new ScriptedUpstream((socket, head) -> {
      socket.getOutputStream().write("NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.close();
    });
    upstream = u;
    start(u.url(), 1024);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/other")).build(),
        BodyHandlers.ofString());
    assertEquals(502, r.statusCode());
  }
}
