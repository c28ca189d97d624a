package io.keyward.sidecar.proxy;

import io.keyward.sdk.KeywardException;
import io.keyward.sidecar.json.JsonTree;
import io.keyward.sidecar.proxy.ContextTemplate.RequestFacts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The body work of the proxy, run off the event loops: encrypting configured fields of a request
 * and decrypting ciphertext strings of a response. Either every field is processed or the whole
 * exchange fails with a {@link ProxyError}: no field is ever dropped or left in the wrong form.
 */
final class JsonRewriter {
  /** What became of a body. */
  sealed interface Outcome permits Unchanged, Rewritten, Failed {}

  /** Forward the original bytes. */
  record Unchanged() implements Outcome {}

  record Rewritten(byte[] body) implements Outcome {}

  record Failed(ProxyError error) implements Outcome {}

  private JsonRewriter() {}

  /**
   * Replaces every value at the rule's fields with its ciphertext: strings by their UTF-8 bytes,
   * numbers and booleans by their JSON text, objects and arrays by their compact JSON; nulls and
   * missing fields stay as they are.
   */
  static Outcome encryptRequest(byte[] body, ProxyRule rule, RequestFacts facts, FieldCrypto crypto) {
    Object root;
    try {
      root = parse(body);
    } catch (IOException e) {
      return new Failed(ProxyError.malformedJson());
    }
    if (root == JsonTree.NO_VALUE) {
      return new Unchanged(); // an empty body (a GET labelled JSON) holds nothing to protect
    }
    boolean changed = false;
    for (FieldPath field : rule.fieldPaths()) {
      for (FieldPath.Match m : field.find(root)) {
        if (m.value() == null) {
          continue;
        }
        byte[] plaintext = m.value() instanceof String text
            ? text.getBytes(StandardCharsets.UTF_8)
            : JsonTree.toBytes(m.value());
        Map<String, String> context;
        try {
          context = rule.template().render(m.pointer(), facts);
        } catch (IllegalStateException e) {
          return new Failed(ProxyError.invalidContext(m.pointer(), e.getMessage()));
        }
        String ciphertext;
        try {
          ciphertext = crypto.encryptToText(rule.keyName(), plaintext, context);
        } catch (KeywardException e) {
          return new Failed(ProxyError.encryptionFailed(m.pointer(), e));
        } catch (IllegalArgumentException e) {
          // The SDK's messages here are about sizes and shapes; still, keep ours fixed.
          return new Failed(ProxyError.invalidContext(m.pointer(),
              "a context value is invalid (over 1024 bytes or not well-formed text) or the value"
                  + " is too large"));
        }
        m.replace(ciphertext);
        changed = true;
      }
    }
    return changed ? new Rewritten(JsonTree.toBytes(root)) : new Unchanged();
  }

  /**
   * Replaces every string that looks like a Keyward ciphertext with its plaintext, decrypted under
   * the rule's context with {@code {field}} set to the string's own JSON Pointer. A body that is
   * not JSON, or holds no ciphertext, is left as it is.
   */
  static Outcome decryptResponse(byte[] body, ProxyRule rule, RequestFacts facts, FieldCrypto crypto) {
    Object root;
    try {
      root = parse(body);
    } catch (IOException e) {
      return new Unchanged(); // not ours to judge: the upstream's body goes through as it came
    }
    if (root instanceof String text) {
      if (!crypto.looksLikeCiphertext(text)) {
        return new Unchanged();
      }
      Object result = decryptOne(text, "", rule, facts, crypto);
      return result instanceof ProxyError e ? new Failed(e)
          : new Rewritten(JsonTree.toBytes(result));
    }
    List<FieldPath.Match> matches = FieldPath.strings(root, crypto::looksLikeCiphertext);
    if (matches.isEmpty()) {
      return new Unchanged();
    }
    for (FieldPath.Match m : matches) {
      Object result = decryptOne((String) m.value(), m.pointer(), rule, facts, crypto);
      if (result instanceof ProxyError e) {
        return new Failed(e);
      }
      m.replace(result);
    }
    return new Rewritten(JsonTree.toBytes(root));
  }

  /** The plaintext as a String, or the ProxyError. */
  private static Object decryptOne(String ciphertext, String pointer, ProxyRule rule,
      RequestFacts facts, FieldCrypto crypto) {
    Map<String, String> context;
    try {
      context = rule.template().render(pointer, facts);
    } catch (IllegalStateException e) {
      return ProxyError.invalidContext(pointer, e.getMessage());
    }
    byte[] plaintext;
    try {
      plaintext = crypto.decryptText(ciphertext, context);
    } catch (KeywardException e) {
      return ProxyError.decryptionFailed(pointer, e);
    } catch (IllegalArgumentException e) {
      return ProxyError.invalidContext(pointer,
          "a context value is invalid (over 1024 bytes or not well-formed text)");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(plaintext))
          .toString();
    } catch (CharacterCodingException e) {
      return ProxyError.notText(pointer);
    }
  }

  /**
   * Exact numbers (1.10 stays 1.10, big integers whole) and no ambiguity: repeated member names
   * and trailing data fail. {@link JsonTree#NO_VALUE} for an empty body.
   */
  static Object parse(byte[] body) throws IOException {
    return JsonTree.parse(body, JsonTree.Fractions.EXACT);
  }
}
