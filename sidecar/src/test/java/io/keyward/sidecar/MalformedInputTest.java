package io.keyward.sidecar;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sidecar.SidecarFixture.Reply;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of malformed input gets a 4xx with a JSON error body, and the sidecar keeps serving
 * afterwards (checked after every test by a good round trip).
 */
class MalformedInputTest {
  @TempDir static Path dir;
  static SidecarFixture f;
  static String goodCiphertext;

  @BeforeAll
  static void start() throws Exception {
    f = SidecarFixture.start(dir, "limits:\n  maxBodyBytes: 4096\n", "a-payments");
    goodCiphertext = f.encrypt("a-payments", "hello".getBytes(UTF_8), Map.of())
        .body().get("ciphertext").asText();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @AfterEach
  void stillServing() throws Exception {
    Reply r = f.decrypt(goodCiphertext, Map.of());
    assertEquals(200, r.status(), r.body().toString());
  }

  private static void assertError(int status, String code, Reply r) {
    assertEquals(status, r.status(), r.body().toString());
    assertEquals(code, r.errorCode(), r.body().toString());
    assertTrue(r.body().path("error").path("message").isTextual(), r.body().toString());
  }

  @Test
  void badJsonOfEveryShape() throws Exception {
    List<String> failures = new ArrayList<>();
    for (String body : List.of("", "{", "not json", "[]", "null", "42", "\"s\"",
        "{\"plaintext\": 1}", "{\"plaintext\": null}", "{\"key\": 7, \"plaintext\": \"AA==\"}",
        "{\"plaintext\": \"AA==\", \"context\": []}",
        "{\"plaintext\": \"AA==\", \"context\": {\"k\": 1}}",
        "{\"plaintext\": \"AA==\", \"contxt\": {}}",
        "{\"key\": \"a-payments\", \"plaintext\": \"AA==\"} trailing",
        "{\"key\": \"a-payments\", \"plaintext\": \"AA==\"} {}",
        "{\"key\": \"a-payments\", \"plaintext\": \"AA==\", \"context\": {\"a\": \"1\", "
            + "\"a\": \"2\"}}",
        "{\"key\": \"a-payments\", \"key\": \"shared\", \"plaintext\": \"AA==\"}",
        "{\"plaintext\": \"AA==\", \"key\": \"a-payments\"")) {
      Reply r = f.post("/v1/encrypt", body);
      if (r.status() != 400 || !"malformed_request".equals(r.errorCode())) {
        failures.add(body + " -> " + r);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void badBase64() throws Exception {
    List<String> failures = new ArrayList<>();
    for (String b64 : List.of("%%%", "AAA", "AA=A", "A A=", "_-_-")) {
      Reply r = f.post("/v1/encrypt",
          "{\"key\": \"a-payments\", \"plaintext\": \"" + b64 + "\"}");
      if (r.status() != 400 || !"malformed_request".equals(r.errorCode())) {
        failures.add(b64 + " -> " + r);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void ciphertextsThatAreNotTextFormAre400() throws Exception {
    List<String> failures = new ArrayList<>();
    for (String ct : List.of("", "kw1.", "kw2.AAAA", "kw1.A", "kw1.AA==", "kw1.AA AA",
        goodCiphertext.substring(4))) {
      Reply r = f.decrypt(ct, Map.of());
      if (r.status() != 400 || !"malformed_ciphertext".equals(r.errorCode())) {
        failures.add(ct + " -> " + r);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void truncatedExtendedOrFlippedCiphertextsAre422() throws Exception {
    byte[] good = Base64.getUrlDecoder().decode(goodCiphertext.substring(4));
    List<String> failures = new ArrayList<>();
    for (int len : new int[] {1, 2, 10, good.length / 2, good.length - 17, good.length - 1}) {
      String ct = "kw1." + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(java.util.Arrays.copyOf(good, len));
      Reply r = f.decrypt(ct, Map.of());
      if (r.status() != 422 || !"decryption_failed".equals(r.errorCode())) {
        failures.add("truncated to " + len + " -> " + r);
      }
    }
    byte[] extended = java.util.Arrays.copyOf(good, good.length + 1);
    byte[] flipped = good.clone();
    flipped[flipped.length - 1] ^= 1;
    for (byte[] bad : List.of(extended, flipped)) {
      Reply r = f.decrypt("kw1." + Base64.getUrlEncoder().withoutPadding().encodeToString(bad),
          Map.of());
      if (r.status() != 422) {
        failures.add("tampered -> " + r);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void bodyOverTheLimitIs400() throws Exception {
    String big = "{\"key\": \"a-payments\", \"plaintext\": \""
        + Base64.getEncoder().encodeToString(new byte[8192]) + "\"}";
    assertError(400, "body_too_large", f.post("/v1/encrypt", big));
  }

  @Test
  void wrongContentTypeIs415() throws Exception {
    Reply r = f.send(HttpRequest.newBuilder(f.uri("/v1/encrypt"))
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{\"plaintext\": \"AA==\"}")).build());
    assertError(415, "unsupported_media_type", r);
    Reply none = f.send(HttpRequest.newBuilder(f.uri("/v1/decrypt"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertEquals(415, none.status());
  }

  @Test
  void unknownRouteAndWrongMethod() throws Exception {
    assertError(404, "no_route", f.get("/v1/nothing"));
    assertError(405, "method_not_allowed", f.get("/v1/encrypt"));
    assertError(405, "method_not_allowed", f.post("/healthz", "{}"));
  }

  @Test
  void invalidKeyNameAndNoDefaultKeyAre400() throws Exception {
    assertError(400, "malformed_request", f.encrypt(null, new byte[1], Map.of()));
    assertEquals(400, f.encrypt("", new byte[1], Map.of()).status());
    assertEquals(400, f.encrypt("x".repeat(300), new byte[1], Map.of()).status());
  }

  @Test
  void tooManyBatchItemsIs400() throws Exception {
    StringBuilder b = new StringBuilder("{\"items\": [");
    for (int i = 0; i < 1001; i++) {
      b.append(i == 0 ? "" : ",").append("{}");
    }
    b.append("]}"); // about 3 KiB: under the body limit, over the default 1000 items
    Reply r = f.post("/v1/decrypt/batch", b.toString());
    assertError(400, "malformed_request", r);
    assertTrue(r.body().toString().contains("limit is 1000"), r.body().toString());
  }

  @Test
  void garbageHttpGets400AndTheConnectionCloses() throws Exception {
    String reply = raw("NOT-HTTP \u0001\u0002\r\n\r\n");
    assertTrue(reply.startsWith("HTTP/1.1 400"), reply);
    assertTrue(reply.contains("\"malformed_request\""), reply);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    String encrypt = "{\"key\":\"a-payments\",\"plaintext\":\"AAEC\",\"context\":{\"p\":\"1\"}}";
    String decrypt = "{\"ciphertext\":\"" + goodCiphertext + "\"}";
    String req = post("/v1/encrypt", encrypt, true) + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        + post("/v1/decrypt", decrypt, true) + post("/v1/decrypt", "{", false);
    String reply = raw(req);
    int enc = reply.indexOf("\"ciphertext\"");
    int health = reply.indexOf("\"status\":\"ok\"");
    int dec = reply.indexOf("\"plaintext\":\"aGVsbG8=\"");
    int bad = reply.indexOf("malformed_request");
    assertTrue(enc > 0 && enc < health && health < dec && dec < bad, reply);
  }

  private static String post(String path, String body, boolean keepAlive) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + (keepAlive ? "" : "Connection: close\r\n")
        + "Content-Length: " + body.getBytes(UTF_8).length + "\r\n\r\n" + body;
  }

  /** Sends raw bytes and reads until the server closes the connection. */
  private static String raw(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.sidecar.httpPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(US_ASCII);
    }
  }
}
