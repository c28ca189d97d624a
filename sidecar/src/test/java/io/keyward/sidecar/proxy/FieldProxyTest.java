package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.keyward.keyserver.NetworkKeyserver;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.KeywardSettings;
import io.keyward.sdk.TokenSources;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy between a real HTTP client and a real upstream HTTP server, encrypting with a real
 * SDK client against a real TLS keyserver.
 */
@Timeout(60)
class FieldProxyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CARD = "4111111111111111";

  @TempDir static Path dir;
  static NetworkKeyserver keyserver;
  static KeywardClient client;
  static FieldCrypto crypto;
  static HttpClient http;

  RecordingUpstream upstream;
  FieldProxy proxy;

  @BeforeAll
  static void startKeyserver() throws Exception {
    keyserver = NetworkKeyserver.start(dir);
    keyserver.createKey("a-payments");
    keyserver.createKey("b-payments"); // exists, but namespace a may not use it
    client = KeywardClient.create(KeywardSettings.builder()
        .keyserverAddress(keyserver.address())
        .trustedCaFile(keyserver.caCertificate())
        .tokenSource(TokenSources.fixed(keyserver.tokenFor("a", "app")))
        .build());
    crypto = FieldCrypto.of(client);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stopKeyserver() {
    client.close();
    keyserver.close();
  }

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = RecordingUpstream.start();
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    upstream.close();
  }

  static String routeYaml(String name, String upstreamUrl, String pathPrefix, boolean decrypt,
      long maxBody) {
    return """
        name: %s
        listen: 127.0.0.1:0
        upstream: %s
        maxBodyBytes: %d
        decryptResponses: %s
        rules:
          - methods: [POST, PUT, PATCH]
            path: %s/customers/**
            encrypt:
              - field: /card/number
              - field: /card/cvc
              - field: $.contacts[*].email
              - field: $.profile
            key: a-payments
            context:
              field: "{field}"
              tenant: "{header:X-Tenant}"
        """.formatted(name, upstreamUrl, maxBody, decrypt, pathPrefix);
  }

  @SuppressWarnings("unchecked")
  static ProxyRoute route(String yaml) throws IOException {
    return ProxyRoute.fromConfig(new YAMLMapper().readValue(yaml, Map.class));
  }

  FieldProxy startProxy(boolean decrypt, long maxBody) throws Exception {
    proxy = FieldProxy.start(route(routeYaml("payments-egress", upstream.url(), "/v1", decrypt,
        maxBody)), crypto);
    return proxy;
  }

  FieldProxy startProxy() throws Exception {
    return startProxy(true, ProxyRoute.DEFAULT_MAX_BODY_BYTES);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + proxy.port() + path);
  }

  HttpResponse<String> send(String method, String path, String contentType, String body,
      String tenant) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (tenant != null) {
      b.header("X-Tenant", tenant);
    }
    return http.send(b.build(), BodyHandlers.ofString());
  }

  static final String CUSTOMER = """
      {"name":"Ada","card":{"number":"4111111111111111","cvc":123,"expiry":"12/29"},
       "contacts":[{"email":"ada@example.com","kind":"home"},{"email":"ada@work.example"}],
       "profile":{"vip":true,"since":2019},"note":null,"amount":10.50,"big":123456789012345678901234567890}""";

  static Map<String, String> ctx(String field, String tenant) {
    return Map.of("field", field, "tenant", tenant);
  }

  static String decrypt(JsonNode node, String field, String tenant) {
    assertTrue(node.isTextual() && crypto.looksLikeCiphertext(node.textValue()),
        field + " should be a Keyward ciphertext, got " + node);
    return new String(crypto.decryptText(node.textValue(), ctx(field, tenant)),
        StandardCharsets.UTF_8);
  }

  static void assertError(HttpResponse<String> response, int status, String code) throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertEquals(code, error.get("code").asText(), response.body());
    assertFalse(response.body().contains("kw1."), "error must not echo a ciphertext");
    assertFalse(response.body().contains(CARD), "error must not echo a plaintext");
  }

  @Test
  void configuredFieldsReachUpstreamAsCiphertextsAndTheAppReadsPlaintextBack() throws Exception {
    startProxy();
    HttpResponse<String> created = send("POST", "/v1/customers/42", "application/json", CUSTOMER, "t-1");
    assertEquals(201, created.statusCode());
    assertEquals("stored", created.headers().firstValue("X-Upstream").orElse(""));
    assertEquals("{\"stored\":true}", created.body());

    RecordingUpstream.Received seen = upstream.last();
    assertEquals("POST", seen.method());
    assertEquals("/v1/customers/42", seen.uri());
    assertEquals("127.0.0.1:" + upstream.port(), seen.headers().getFirst("Host"));
    assertEquals("t-1", seen.headers().getFirst("X-Tenant"));
    assertEquals(String.valueOf(seen.body().length), seen.headers().getFirst("Content-Length"));
    assertFalse(seen.bodyText().contains(CARD));
    assertFalse(seen.bodyText().contains("ada@"));
    assertTrue(seen.bodyText().contains("\"amount\":10.50,"), "numbers keep their exact text");
    assertTrue(seen.bodyText().contains("\"big\":123456789012345678901234567890}"), seen.bodyText());
    JsonNode stored = JSON.readTree(seen.body());
    assertEquals("Ada", stored.get("name").asText());
    assertEquals("12/29", stored.at("/card/expiry").asText());
    assertEquals("home", stored.at("/contacts/0/kind").asText());
    assertTrue(stored.get("note").isNull());
    assertEquals(CARD, decrypt(stored.at("/card/number"), "/card/number", "t-1"));
    assertEquals("123", decrypt(stored.at("/card/cvc"), "/card/cvc", "t-1"));
    assertEquals("ada@example.com", decrypt(stored.at("/contacts/0/email"), "/contacts/0/email", "t-1"));
    assertEquals("ada@work.example", decrypt(stored.at("/contacts/1/email"), "/contacts/1/email", "t-1"));
    assertEquals("{\"vip\":true,\"since\":2019}", decrypt(stored.at("/profile"), "/profile", "t-1"));

    HttpResponse<String> read = send("GET", "/v1/customers/42", null, null, "t-1");
    assertEquals(200, read.statusCode(), read.body());
    assertEquals(String.valueOf(read.body().getBytes(StandardCharsets.UTF_8).length),
        read.headers().firstValue("Content-Length").orElse(""));
    JsonNode back = JSON.readTree(read.body());
    assertEquals("Ada", back.get("name").asText());
    assertEquals(CARD, back.at("/card/number").textValue());
    assertEquals("123", back.at("/card/cvc").textValue());
    assertEquals("ada@example.com", back.at("/contacts/0/email").textValue());
    assertEquals("ada@work.example", back.at("/contacts/1/email").textValue());
    assertEquals("{\"vip\":true,\"since\":2019}", back.at("/profile").textValue());
    assertFalse(read.body().contains("kw1."));
  }

  @Test
  void responseDecryptionIsBoundToTheRequestContext() throws Exception {
    startProxy();
    assertEquals(201, send("POST", "/v1/customers/7", "application/json", CUSTOMER, "t-1").statusCode());

    HttpResponse<String> otherTenant = send("GET", "/v1/customers/7", null, null, "t-2");
    assertError(otherTenant, 502, "decryption_failed");
    assertTrue(otherTenant.body().contains("field /card/number could not be decrypted"),
        otherTenant.body());

    assertError(send("GET", "/v1/customers/7", null, null, null), 400, "invalid_context");
  }

  @Test
  void aTamperedResponseCiphertextIsAClearErrorNeverPlaintextOrADroppedField() throws Exception {
    startProxy();
    String good = crypto.encryptToText("a-payments", CARD.getBytes(StandardCharsets.UTF_8),
        ctx("/card/number", "t-1"));
    int i = good.length() / 2;
    String tampered = good.substring(0, i) + (good.charAt(i) == 'A' ? 'B' : 'A') + good.substring(i + 1);
    assertTrue(crypto.looksLikeCiphertext(tampered));
    upstream.stored.put("/v1/customers/9",
        ("{\"name\":\"Bob\",\"card\":{\"number\":\"" + tampered + "\"}}").getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> read = send("GET", "/v1/customers/9", null, null, "t-1");

    assertError(read, 502, "decryption_failed");
    assertEquals("field /card/number could not be decrypted",
        JSON.readTree(read.body()).at("/error/message").asText());
  }

  @Test
  void everyCiphertextStringInAResponseIsDecryptedNotOnlyConfiguredFields() throws Exception {
    startProxy();
    String secret = crypto.encryptToText("a-payments", "hidden".getBytes(StandardCharsets.UTF_8),
        ctx("/extra/0", "t-1"));
    upstream.stored.put("/v1/customers/5",
        ("{\"extra\":[\"" + secret + "\"],\"plain\":\"kw1.not base64\"}").getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> read = send("GET", "/v1/customers/5", null, null, "t-1");

    assertEquals(200, read.statusCode(), read.body());
    JsonNode back = JSON.readTree(read.body());
    assertEquals("hidden", back.at("/extra/0").textValue());
    assertEquals("kw1.not base64", back.get("plain").textValue());
  }

  @Test
  void withDecryptResponsesOffCiphertextsPassThroughUntouched() throws Exception {
    startProxy(false, ProxyRoute.DEFAULT_MAX_BODY_BYTES);
    assertEquals(201, send("PUT", "/v1/customers/3", "application/json", CUSTOMER, "t-1").statusCode());
    byte[] stored = upstream.stored.get("/v1/customers/3");

    HttpResponse<byte[]> read = http.send(HttpRequest.newBuilder(uri("/v1/customers/3"))
        .header("X-Tenant", "t-1").build(), BodyHandlers.ofByteArray());

    assertEquals(200, read.statusCode());
    assertArrayEquals(stored, read.body());
    assertTrue(crypto.looksLikeCiphertext(JSON.readTree(read.body()).at("/card/number").textValue()));
  }

  @Test
  void nonJsonBodiesOnMatchedRoutesPassByteIdentical() throws Exception {
    startProxy();
    byte[] binary = new byte[5000];
    new Random(1).nextBytes(binary);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/customers/b"))
        .header("Content-Type", "application/octet-stream").header("X-Tenant", "t-1")
        .POST(BodyPublishers.ofByteArray(binary)).build(), BodyHandlers.ofString());
    assertEquals(201, r.statusCode());
    assertArrayEquals(binary, upstream.last().body());

    String text = "{\"card\":{\"number\":\"4111111111111111\"}}";
    assertEquals(201, send("POST", "/v1/customers/t", "text/plain", text, "t-1").statusCode());
    assertEquals(text, upstream.last().bodyText());
  }

  @Test
  void otherMethodsUnmatchedPathsAndAbsentFieldsPassUntouched() throws Exception {
    startProxy();
    String spaced = "{ \"card\" : { \"number\" : \"4111111111111111\" } }";
    upstream.handle("/v1/orders/", ex -> {
      ex.getResponseHeaders().set("Content-Type", "application/json");
      RecordingUpstream.send(ex, 200, "{\"ref\":\"kw1.AAAA\"}".getBytes(StandardCharsets.UTF_8));
    });

    send("DELETE", "/v1/customers/1", "application/json", spaced, "t-1");
    assertEquals("DELETE", upstream.last().method());
    assertEquals(spaced, upstream.last().bodyText());

    HttpResponse<String> orders = send("POST", "/v1/orders/1", "application/json", spaced, "t-1");
    assertEquals(spaced, upstream.last().bodyText());
    assertEquals("{\"ref\":\"kw1.AAAA\"}", orders.body(), "unmatched paths are not decrypted");

    String noConfiguredField = "{ \"name\" : \"Ada\",  \"card\": {\"expiry\": \"12/29\"} }";
    send("POST", "/v1/customers/2", "application/json", noConfiguredField, "t-1");
    assertEquals(noConfiguredField, upstream.last().bodyText());
  }

  @Test
  void statusCodesAndHeadersOfTheUpstreamArePreserved() throws Exception {
    startProxy();
    HttpResponse<String> missing = send("GET", "/v1/customers/none", null, null, "t-1");
    assertEquals(404, missing.statusCode());
    assertEquals("missing", missing.headers().firstValue("X-Upstream").orElse(""));
    assertEquals("{\"error\":\"no such resource\"}", missing.body());

    HttpRequest custom = HttpRequest.newBuilder(uri("/v1/customers/h?x=1&y=%20z"))
        .header("X-Request-Id", "r-17").header("X-Tenant", "t-1").header("Accept", "text/plain")
        .GET().build();
    http.send(custom, BodyHandlers.ofString());
    RecordingUpstream.Received seen = upstream.last();
    assertEquals("/v1/customers/h?x=1&y=%20z", seen.uri());
    assertEquals("r-17", seen.headers().getFirst("X-Request-Id"));
    assertEquals("text/plain", seen.headers().getFirst("Accept"));
  }

  @Test
  void hopByHopHeadersAreDroppedAndEndToEndHeadersKept() throws Exception {
    startProxy();
    try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/other HTTP/1.1\r\nHost: app.local\r\nConnection: close, X-Hop\r\n"
          + "X-Hop: drop-me\r\nKeep-Alive: timeout=5\r\nX-Keep: yes\r\nContent-Length: 2\r\n\r\nhi")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(response.startsWith("HTTP/1.1 404"), response);
      assertTrue(response.toLowerCase().contains("connection: close"), response);
    }
    RecordingUpstream.Received seen = upstream.last();
    assertEquals("hi", seen.bodyText());
    assertEquals("yes", seen.headers().getFirst("X-Keep"));
    assertEquals(null, seen.headers().getFirst("X-Hop"));
    assertEquals(null, seen.headers().getFirst("Keep-Alive"));
    assertEquals("127.0.0.1:" + upstream.port(), seen.headers().getFirst("Host"));
  }

  @Test
  void aChunkedResponseStreamsThroughWithoutBeingHeld() throws Exception {
    startProxy(true, 64 * 1024);
    CountDownLatch clientSawFirstChunk = new CountDownLatch(1);
    byte[] first = new byte[32 * 1024];
    byte[] rest = new byte[4 * 1024 * 1024];
    new Random(2).nextBytes(first);
    new Random(3).nextBytes(rest);
    upstream.handle("/v1/customers/stream", ex -> {
      ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
      ex.sendResponseHeaders(200, 0); // chunked
      try (OutputStream out = ex.getResponseBody()) {
        out.write(first);
        out.flush();
        // The rest is only sent once the client has the first part: a proxy that held the body
        // would never deliver it, and the test would fail on the assertions below.
        if (clientSawFirstChunk.await(20, TimeUnit.SECONDS)) {
          out.write(rest);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });

    HttpResponse<InputStream> response = http.send(
        HttpRequest.newBuilder(uri("/v1/customers/stream")).header("X-Tenant", "t-1").build(),
        BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    assertEquals("chunked", response.headers().firstValue("Transfer-Encoding").orElse(""));
    try (InputStream in = response.body()) {
      assertArrayEquals(first, in.readNBytes(first.length));
      clientSawFirstChunk.countDown();
      assertArrayEquals(rest, in.readAllBytes());
    }
  }

  @Test
  void aLargeChunkedRequestBodyStreamsThroughUntouched() throws Exception {
    startProxy(true, 64 * 1024);
    byte[] body = new byte[3 * 1024 * 1024];
    new Random(4).nextBytes(body);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/uploads/1"))
        .header("Content-Type", "application/octet-stream")
        .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
        BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
    RecordingUpstream.Received seen = upstream.last();
    assertEquals("chunked", seen.headers().getFirst("Transfer-Encoding"));
    assertArrayEquals(body, seen.body());
  }

  @Test
  void aJsonBodyOverTheLimitIsRefusedWith413AndNothingReachesTheUpstream() throws Exception {
    startProxy(true, 1024);
    String big = "{\"card\":{\"number\":\"" + "4".repeat(2000) + "\"}}";
    assertError(send("POST", "/v1/customers/1", "application/json", big, "t-1"), 413, "body_too_large");

    HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(uri("/v1/customers/2"))
        .header("Content-Type", "application/json").header("X-Tenant", "t-1")
        .POST(BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build(),
        BodyHandlers.ofString());
    assertError(chunked, 413, "body_too_large");
    assertTrue(upstream.received.isEmpty());
  }

  @Test
  void malformedJsonOnAnEncryptingRouteIs400() throws Exception {
    startProxy();
    assertError(send("POST", "/v1/customers/1", "application/json", "{\"card\":", "t-1"), 400,
        "malformed_json");
    assertError(send("POST", "/v1/customers/1", "application/json",
        "{\"card\":{\"number\":\"1\"},\"card\":{\"number\":\"2\"}}", "t-1"), 400, "malformed_json");
    assertError(send("POST", "/v1/customers/1", "application/json", "{} trailing", "t-1"), 400,
        "malformed_json");
    assertTrue(upstream.received.isEmpty());
  }

  @Test
  void aPercentEncodedOrDottedPathCannotSlipPastARule() throws Exception {
    startProxy();
    send("POST", "/v1/%63ustomers/8", "application/json", CUSTOMER, "t-1");
    assertEquals("/v1/%63ustomers/8", upstream.last().uri());
    assertFalse(upstream.last().bodyText().contains(CARD));

    send("POST", "/v1//x/../customers/8", "application/json", CUSTOMER, "t-1");
    assertFalse(upstream.last().bodyText().contains(CARD));
  }

  @Test
  void anUnreachableKeyserverIs503AndNothingReachesTheUpstream() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    try (KeywardClient dead = KeywardClient.create(KeywardSettings.builder()
        .keyserverAddress("localhost:" + deadPort)
        .trustedCaFile(keyserver.caCertificate())
        .tokenSource(TokenSources.fixed(keyserver.tokenFor("a", "app")))
        .callDeadline(Duration.ofSeconds(3))
        .build())) {
      proxy = FieldProxy.start(route(routeYaml("egress", upstream.url(), "/v1", true, 4096)),
          FieldCrypto.of(dead));
      assertError(send("POST", "/v1/customers/1", "application/json", CUSTOMER, "t-1"), 503,
          "keyserver_unavailable");
      assertTrue(upstream.received.isEmpty());
    }
  }

  @Test
  void aKeyTheWorkloadMayNotUseFailsTheRequestInsteadOfSendingPlaintext() throws Exception {
    proxy = FieldProxy.start(route(routeYaml("egress", upstream.url(), "/v1", true, 65536)
        .replace("key: a-payments", "key: b-payments")), crypto);
    HttpResponse<String> r = send("POST", "/v1/customers/1", "application/json", CUSTOMER, "t-1");
    assertError(r, 502, "encryption_failed");
    assertTrue(r.body().contains("field /card/number could not be encrypted"), r.body());
    assertTrue(upstream.received.isEmpty());
  }

  @Test
  void anEmptyBodyLabelledJsonOnAMatchedRuleIsForwarded() throws Exception {
    startProxy();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/customers/e"))
        .header("Content-Type", "application/json").header("X-Tenant", "t-1")
        .method("PATCH", BodyPublishers.noBody()).build(), BodyHandlers.ofString());
    assertEquals(404, r.statusCode());
    assertEquals("PATCH", upstream.last().method());
    assertEquals(0, upstream.last().body().length);
  }

  @Test
  void anUnreachableUpstreamIs502() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    proxy = FieldProxy.start(route(routeYaml("egress", "http://127.0.0.1:" + deadPort, "/v1", true,
        4096)), crypto);
    assertError(send("GET", "/v1/customers/1", null, null, "t-1"), 502, "upstream_unavailable");
  }

  @Test
  void ingressProxyInFrontOfTheAppWorksTheSameWay() throws Exception {
    // Client -> proxy -> app: the app (here the recording server under /app) only ever holds
    // ciphertexts; the client reads its own plaintext back.
    // A host name, not an IP literal: resolved off the event loop.
    proxy = FieldProxy.start(route(routeYaml("ingress",
        "http://localhost:" + upstream.port() + "/app", "", true, 65536)),
        crypto);
    HttpResponse<String> created = send("POST", "/customers/99", "application/json", CUSTOMER, "t-9");
    assertEquals(201, created.statusCode());
    RecordingUpstream.Received atApp = upstream.last();
    assertEquals("/app/customers/99", atApp.uri());
    JsonNode stored = JSON.readTree(atApp.body());
    assertEquals(CARD, decrypt(stored.at("/card/number"), "/card/number", "t-9"));
    assertEquals("Ada", stored.get("name").asText());

    HttpResponse<String> read = send("GET", "/customers/99", null, null, "t-9");
    assertEquals(200, read.statusCode());
    assertEquals(CARD, JSON.readTree(read.body()).at("/card/number").textValue());
    assertThrowsDecryptionFailed(stored.at("/card/number").textValue(), ctx("/card/number", "t-1"));
  }

  private static void assertThrowsDecryptionFailed(String ciphertext, Map<String, String> context) {
    org.junit.jupiter.api.Assertions.assertThrows(DecryptionFailedException.class,
        () -> crypto.decryptText(ciphertext, context));
  }

  @Test
  void concurrentClientsEachGetTheirOwnPlaintextBack() throws Exception {
    startProxy();
    List<CompletableFuture<String>> reads = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String id = "c" + i;
      String tenant = "t-" + (i % 3);
      String body = CUSTOMER.replace(CARD, "40000000000000" + (10 + i));
      HttpRequest post = HttpRequest.newBuilder(uri("/v1/customers/" + id))
          .header("Content-Type", "application/json").header("X-Tenant", tenant)
          .POST(BodyPublishers.ofString(body)).build();
      HttpRequest get = HttpRequest.newBuilder(uri("/v1/customers/" + id))
          .header("X-Tenant", tenant).build();
      reads.add(http.sendAsync(post, BodyHandlers.ofString())
          .thenCompose(created -> http.sendAsync(get, BodyHandlers.ofString()))
          .thenApply(HttpResponse::body));
    }
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < reads.size(); i++) {
      String card = JSON.readTree(reads.get(i).get(30, TimeUnit.SECONDS)).at("/card/number").asText();
      if (!card.equals("40000000000000" + (10 + i))) {
        failures.add("client " + i + " read " + card);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void manySequentialRequestsShareConnectionsCorrectly() throws Exception {
    startProxy();
    for (int i = 0; i < 20; i++) {
      String body = CUSTOMER.replace("Ada", "Ada" + i);
      assertEquals(201, send("POST", "/v1/customers/s" + i, "application/json", body, "t-1").statusCode());
      HttpResponse<String> read = send("GET", "/v1/customers/s" + i, null, null, "t-1");
      JsonNode back = JSON.readTree(read.body());
      assertEquals("Ada" + i, back.get("name").asText());
      assertEquals(CARD, back.at("/card/number").textValue());
    }
    assertEquals(40, upstream.received.size());
    assertFalse(Arrays.asList(upstream.received.stream().map(RecordingUpstream.Received::bodyText)
        .toArray()).stream().anyMatch(b -> ((String) b).contains(CARD)));
  }
}
