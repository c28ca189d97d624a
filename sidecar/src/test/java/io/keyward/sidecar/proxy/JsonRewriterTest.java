package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.keyward.sdk.KeyserverUnavailableException;
import io.keyward.sidecar.proxy.ContextTemplate.RequestFacts;
import io.keyward.sidecar.proxy.JsonRewriter.Failed;
import io.keyward.sidecar.proxy.JsonRewriter.Outcome;
import io.keyward.sidecar.proxy.JsonRewriter.Rewritten;
import io.keyward.sidecar.proxy.JsonRewriter.Unchanged;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The body rewrites against a transparent fake crypto ({@code CT[/pointer|base64]}): which values
 * are taken, in which order the keyserver would be asked, and the exact bytes written back.
 */
class JsonRewriterTest {
  private final List<String> calls = new ArrayList<>();
  private final RequestFacts facts = new RequestFacts("POST", "/p", Map.of());

  /** Fails for plaintexts holding "FAIL"; "BAD" ciphertexts do not decrypt. */
  private final FieldCrypto crypto = new FieldCrypto() {
    @Override
    public String encryptToText(String key, byte[] plaintext, Map<String, String> context) {
      String text = new String(plaintext, StandardCharsets.UTF_8);
      calls.add(context.get("field") + "=" + text);
      if (text.contains("FAIL")) {
        throw new KeyserverUnavailableException("down");
      }
      return "CT[" + context.get("field") + "|" + Base64.getEncoder().encodeToString(plaintext) + "]";
    }

    @Override
    public byte[] decryptText(String ciphertext, Map<String, String> context) {
      calls.add(context.get("field") + "=" + ciphertext);
      if (ciphertext.contains("BAD")) {
        throw new KeyserverUnavailableException("down");
      }
      String b64 = ciphertext.substring(ciphertext.indexOf('|') + 1, ciphertext.length() - 1);
      return Base64.getDecoder().decode(b64);
    }

    @Override
    public boolean looksLikeCiphertext(String value) {
      return value.startsWith("CT[");
    }
  };

  private static ProxyRule rule(String... fields) {
    List<Map<String, Object>> encrypt = new ArrayList<>();
    for (String f : fields) {
      encrypt.add(Map.of("field", f));
    }
    return ProxyRule.fromConfig(Map.of("path", "/**", "encrypt", encrypt, "key", "k",
        "context", Map.of("field", "{field}")), "test");
  }

  private Outcome encrypt(String body, String... fields) {
    return JsonRewriter.encryptRequest(body.getBytes(StandardCharsets.UTF_8), rule(fields), facts,
        crypto);
  }

  private Outcome decrypt(String body) {
    return JsonRewriter.decryptResponse(body.getBytes(StandardCharsets.UTF_8), rule("/x"), facts,
        crypto);
  }

  private static String text(Outcome o) {
    return new String(assertInstanceOf(Rewritten.class, o).body(), StandardCharsets.UTF_8);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void encryptsEachSelectedValueAndCopiesTheRestAsTheTreeWroteIt() {
    String out = text(encrypt(
        " {\"a\": \"hi\", \"b\": {\"c\": 1.10, \"d\": [1e3, -0, null]}, \"n\": 12345678901234567890123,"
            + " \"list\": [{\"x\": true}, {\"y\": 1}, {\"x\": null}]}",
        "/b", "$.list[*].x", "/a"));
    assertEquals("{\"a\":\"CT[/a|" + b64("hi") + "]\",\"b\":\"CT[/b|" + b64("{\"c\":1.10,\"d\":[1E+3,0,null]}")
        + "]\",\"n\":12345678901234567890123,\"list\":[{\"x\":\"CT[/list/0/x|" + b64("true")
        + "]\"},{\"y\":1},{\"x\":null}]}", out);
    assertEquals(List.of("/b={\"c\":1.10,\"d\":[1E+3,0,null]}", "/list/0/x=true", "/a=hi"), calls,
        "field by field in the rule's order, nulls left alone");
  }

  @Test
  void theFirstFailureInRuleOrderFailsTheBody() {
    Failed failed = assertInstanceOf(Failed.class,
        encrypt("{\"a\":\"FAIL a\",\"b\":\"FAIL b\"}", "/b", "/a"));
    assertEquals("keyserver_unavailable", failed.error().code());
    assertEquals(List.of("/b=FAIL b"), calls);
  }

  @Test
  void overlappingFieldsApplyOneAfterTheOther() {
    String inner = "CT[/a/b|" + b64("x") + "]";
    assertEquals("{\"a\":\"CT[/a|" + b64("{\"b\":\"" + inner + "\"}") + "]\"}",
        text(encrypt("{\"a\":{\"b\":\"x\"}}", "/a/b", "/a")));
    calls.clear();
    assertEquals("{\"a\":\"CT[/a|" + b64("{\"b\":\"x\"}") + "]\"}",
        text(encrypt("{\"a\":{\"b\":\"x\"}}", "/a", "/a/b")), "/a/b finds a string at /a");
    assertEquals(List.of("/a={\"b\":\"x\"}"), calls);
  }

  @Test
  void bodiesThatAreNotOneJsonDocumentFailBeforeAnyEncryption() {
    for (String body : List.of("{\"a\":\"x\",\"a\":\"y\"}", "{\"a\":\"x\"} {}", "{\"a\":\"x\"")) {
      assertEquals("malformed_json",
          assertInstanceOf(Failed.class, encrypt(body, "/a")).error().code(), body);
    }
    assertEquals(List.of(), calls);
    assertInstanceOf(Unchanged.class, encrypt("  ", "/a"));
    assertInstanceOf(Unchanged.class, encrypt("{\"a\":null,\"b\":1}", "/a"));
  }

  @Test
  void decryptsEveryCiphertextStringInDocumentOrder() {
    String body = "{\"p\":\"CT[/p|" + b64("one") + "]\",\"CT[name]\":[1.50,\"CT[/q/1|" + b64("two")
        + "]\"]}";
    assertEquals("{\"p\":\"one\",\"CT[name]\":[1.50,\"two\"]}", text(decrypt(body)));
    assertEquals("\"three\"", text(decrypt("\"CT[|" + b64("three") + "]\"")));
    assertEquals(2, calls.stream().filter(c -> c.startsWith("/")).count(), calls.toString());
    assertEquals("=CT[|" + b64("three") + "]", calls.get(2), "the root string's pointer is empty");
  }

  @Test
  void aResponseDecryptsWhollyOrNotAtAll() {
    assertInstanceOf(Failed.class, decrypt("[\"CT[BAD]\",\"CT[/1|" + b64("x") + "]\"]"));
    assertEquals(List.of("/0=CT[BAD]"), calls);
    assertInstanceOf(Unchanged.class, decrypt("{\"a\":\"CT[/a|eA==]\",\"a\":1}"));
    assertInstanceOf(Unchanged.class, decrypt("{\"a\":\"plain\"}"));
  }
}
