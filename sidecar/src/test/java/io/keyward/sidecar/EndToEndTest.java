package io.keyward.sidecar;

import static io.keyward.sidecar.SidecarFixture.JSON;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sidecar.SidecarFixture.Reply;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local HTTP API against a real keyserver process over TLS, with a real token file.
 * Workload {@code a:app} may use keys {@code shared} and {@code a-*}.
 */
class EndToEndTest {
  @TempDir static Path dir;
  static SidecarFixture f;

  @BeforeAll
  static void start() throws Exception {
    f = SidecarFixture.start(dir, "defaultKey: a-default\n", "a-payments", "a-default", "shared",
        "b-private", "b-rotated", "a-metrics");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void encryptDecryptRoundTrip() throws Exception {
    byte[] plaintext = "card 4111 1111 1111 1111".getBytes(UTF_8);
    Reply enc = f.encrypt("a-payments", plaintext, Map.of("order", "42"));
    assertEquals(200, enc.status(), enc.body().toString());
    assertEquals("a-payments", enc.body().get("key").asText());
    assertEquals(1, enc.body().get("version").asInt());
    String ct = enc.body().get("ciphertext").asText();
    assertTrue(ct.startsWith("kw1."), ct);
    assertTrue(!ct.contains("4111"));

    Reply dec = f.decrypt(ct, Map.of("order", "42"));
    assertEquals(200, dec.status(), dec.body().toString());
    assertArrayEquals(plaintext, Base64.getDecoder().decode(dec.body().get("plaintext").asText()));
  }

  @Test
  void keyMayBeOmittedWhenADefaultIsConfigured() throws Exception {
    Reply enc = f.encrypt(null, new byte[] {1, 2, 3}, Map.of());
    assertEquals(200, enc.status(), enc.body().toString());
    assertEquals("a-default", enc.body().get("key").asText());
    Reply dec = f.decrypt(enc.body().get("ciphertext").asText(), Map.of());
    assertEquals("AQID", dec.body().get("plaintext").asText());
  }

  @Test
  void contextMismatchIs422() throws Exception {
    Reply enc = f.encrypt("a-payments", "x".getBytes(UTF_8), Map.of("tenant", "one"));
    String ct = enc.body().get("ciphertext").asText();
    Reply other = f.decrypt(ct, Map.of("tenant", "two"));
    assertEquals(422, other.status());
    assertEquals("decryption_failed", other.errorCode());
    Reply none = f.decrypt(ct, Map.of());
    assertEquals(422, none.status());
  }

  @Test
  void unknownKeyIs404() throws Exception {
    Reply r = f.encrypt("a-does-not-exist", "x".getBytes(UTF_8), Map.of());
    assertEquals(404, r.status(), r.body().toString());
    assertEquals("key_not_found", r.errorCode());
  }

  @Test
  void keyOfAnotherWorkloadIs403() throws Exception {
    Reply r = f.encrypt("b-private", "x".getBytes(UTF_8), Map.of());
    assertEquals(403, r.status(), r.body().toString());
    assertEquals("permission_denied", r.errorCode());
  }

  @Test
  void batchReturnsPerItemResultsAndOneBadItemDoesNotFailTheRest() throws Exception {
    Reply enc = f.post("/v1/encrypt/batch", """
        {"items": [
          {"key": "a-payments", "plaintext": "b25l", "context": {"i": "0"}},
          {"key": "b-private", "plaintext": "dHdv"},
          {"key": "shared", "plaintext": "%%%"},
          {"plaintext": "dGhyZWU="}
        ]}""");
    assertEquals(200, enc.status(), enc.body().toString());
    var results = enc.body().get("results");
    assertEquals(4, results.size());
    assertTrue(results.get(0).get("ciphertext").asText().startsWith("kw1."));
    assertEquals("permission_denied", results.get(1).path("error").path("code").asText());
    assertEquals(403, results.get(1).path("error").path("status").asInt());
    assertEquals("malformed_request", results.get(2).path("error").path("code").asText());
    assertEquals("a-default", results.get(3).get("key").asText());

    String body = JSON.writeValueAsString(Map.of("items", java.util.List.of(
        Map.of("ciphertext", results.get(0).get("ciphertext").asText(), "context",
            Map.of("i", "0")),
        Map.of("ciphertext", results.get(0).get("ciphertext").asText(), "context",
            Map.of("i", "1")),
        Map.of("ciphertext", "not a ciphertext"),
        Map.of("ciphertext", results.get(3).get("ciphertext").asText()))));
    Reply dec = f.post("/v1/decrypt/batch", body);
    assertEquals(200, dec.status(), dec.body().toString());
    var d = dec.body().get("results");
    assertEquals("b25l", d.get(0).get("plaintext").asText());
    assertEquals("decryption_failed", d.get(1).path("error").path("code").asText());
    assertEquals("malformed_ciphertext", d.get(2).path("error").path("code").asText());
    assertEquals("dGhyZWU=", d.get(3).get("plaintext").asText());
  }

  @Test
  void tokenFileRotatedMidRunIsUsedForTheNextKeyserverCall() throws Exception {
    // As a:app, b-rotated is denied.
    assertEquals(403, f.encrypt("b-rotated", new byte[] {1}, Map.of()).status());
    try {
      f.rotateToken(f.keyserver.tokenFor("b", "app"));
      Reply asB = f.encrypt("b-rotated", new byte[] {1}, Map.of());
      assertEquals(200, asB.status(), asB.body().toString());

      f.rotateToken("not-a-jwt");
      Reply rejected = f.encrypt("b-rotated", new byte[] {2}, Map.of("fresh", "context"));
      assertEquals(401, rejected.status(), rejected.body().toString());
      assertEquals("identity_rejected", rejected.errorCode());
    } finally {
      f.rotateToken(f.keyserver.tokenFor("a", "app"));
    }
    assertEquals(200, f.encrypt("a-payments", new byte[] {3}, Map.of("after", "rotation"))
        .status());
  }

  @Test
  void encryptingTwiceGivesDifferentCiphertexts() throws Exception {
    String one = f.encrypt("shared", new byte[16], Map.of()).body().get("ciphertext").asText();
    String two = f.encrypt("shared", new byte[16], Map.of()).body().get("ciphertext").asText();
    assertNotEquals(one, two);
  }

  @Test
  void healthReadinessAndMetrics() throws Exception {
    assertEquals(200, f.get("/healthz").status());
    Reply ready = f.get("/readyz");
    assertEquals(200, ready.status(), ready.body().toString());
    assertEquals("ready", ready.body().get("status").asText());

    // Other tests share the sidecar: compare scrapes before and after this test's requests, on a
    // key only this test uses (one data key: one miss, then hits).
    Map<String, Double> before = scrape();
    String ct = f.encrypt("a-metrics", new byte[] {9}, Map.of("m", "1")).body()
        .get("ciphertext").asText();
    f.encrypt("a-metrics", new byte[] {9}, Map.of("m", "1"));
    assertEquals(200, f.decrypt(ct, Map.of("m", "1")).status());
    assertEquals(200, f.decrypt(ct, Map.of("m", "1")).status());
    assertEquals(404, f.encrypt("a-metrics-missing", new byte[] {9}, Map.of()).status());
    Map<String, Double> after = scrape();

    Map<String, Double> expected = new TreeMap<>(Map.ofEntries(
        Map.entry("keyward_sidecar_requests_seconds_count" + http("encrypt", 200), 2.0),
        Map.entry("keyward_sidecar_requests_seconds_bucket"
            + http("encrypt", 200).replace("}", ",le=\"+Inf\"}"), 2.0),
        Map.entry("keyward_sidecar_requests_seconds_count" + http("encrypt", 404), 1.0),
        Map.entry("keyward_sidecar_requests_seconds_count" + http("decrypt", 200), 2.0),
        Map.entry(cache("encrypt", "hit"), 1.0),
        Map.entry(cache("encrypt", "miss"), 2.0), // a-metrics, then the key that does not exist
        Map.entry(cache("decrypt", "hit"), 1.0),
        Map.entry(cache("decrypt", "miss"), 1.0),
        Map.entry(calls("OK", "GenerateDataKey"), 1.0),
        Map.entry(calls("NOT_FOUND", "GenerateDataKey"), 1.0),
        Map.entry(calls("OK", "DecryptDataKey"), 1.0)));
    Map<String, Double> deltas = new TreeMap<>();
    for (String series : expected.keySet()) {
      deltas.put(series, after.getOrDefault(series, Double.NaN)
          - before.getOrDefault(series, 0.0));
    }
    assertEquals(expected, deltas, "after - before, of " + after.keySet());
    String sum = "keyward_sidecar_requests_seconds_sum" + http("encrypt", 200);
    assertTrue(after.get(sum) > before.getOrDefault(sum, 0.0), sum);
    assertEquals(1.0, after.get("keyward_sidecar_keyserver_reachable"));
  }

  @Test
  void metricsAreClassicPrometheusTextWithoutKeyNamesOrContexts() throws Exception {
    f.encrypt("a-payments", new byte[] {9}, Map.of("tenant", "acme-metrics"));
    var r = f.http.send(java.net.http.HttpRequest.newBuilder(f.uri("/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("text/plain; version=0.0.4; charset=utf-8",
        r.headers().firstValue("content-type").orElse(null));
    String text = r.body();
    assertTrue(text.contains("# TYPE keyward_sidecar_requests_seconds histogram\n"), text);
    assertTrue(text.contains("keyward_sidecar_requests_seconds_bucket{api=\"http\","
        + "route=\"encrypt\",status=\"200\",le=\"0.001\"} "), text);
    assertTrue(text.contains("# TYPE keyward_sidecar_data_key_cache_total counter\n"), text);
    assertTrue(text.contains("# TYPE keyward_sidecar_keyserver_calls_total counter\n"), text);
    assertTrue(text.contains("# TYPE keyward_sidecar_keyserver_reachable gauge\n"), text);
    assertTrue(!text.contains("_max"), "no Micrometer-style _max series");
    assertTrue(!text.contains("a-payments") && !text.contains("a-metrics"), "no key names");
    assertTrue(!text.contains("acme-metrics") && !text.contains("tenant"), "no contexts");
  }

  /** {@code GET /metrics} as series (name and labels, as written) to value. */
  private static Map<String, Double> scrape() throws Exception {
    var r = f.http.send(java.net.http.HttpRequest.newBuilder(f.uri("/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    Map<String, Double> series = new java.util.HashMap<>();
    for (String line : r.body().split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int space = line.lastIndexOf(' ');
        series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return series;
  }

  private static String http(String route, int status) {
    return "{api=\"http\",route=\"" + route + "\",status=\"" + status + "\"}";
  }

  private static String cache(String cache, String result) {
    return "keyward_sidecar_data_key_cache_total{cache=\"" + cache + "\",result=\"" + result
        + "\"}";
  }

  private static String calls(String code, String method) {
    return "keyward_sidecar_keyserver_calls_total{code=\"" + code + "\",method=\"" + method
        + "\"}";
  }
}
