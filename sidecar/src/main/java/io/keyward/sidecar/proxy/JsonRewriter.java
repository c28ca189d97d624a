package io.keyward.sidecar.proxy;

import com.fasterxml.jackson.core.JsonToken;
import io.keyward.sdk.KeywardException;
import io.keyward.sidecar.json.JsonTree;
import io.keyward.sidecar.proxy.ContextTemplate.RequestFacts;
import io.keyward.sidecar.proxy.JsonSlots.Taken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The body work of the proxy, run off the event loops: encrypting configured fields of a request
 * and decrypting ciphertext strings of a response. Either every field is processed or the whole
 * exchange fails with a {@link ProxyError}: no field is ever dropped or left in the wrong form.
 *
 * <p>Bodies are streamed ({@link JsonSlots}), not held as trees, except a request whose rule has
 * fields that may overlap ({@code /a} and {@code /a/b}): those apply one after the other on a
 * {@link JsonTree}, each seeing what the earlier ones wrote.
 */
final class JsonRewriter {
  /** What became of a body. */
  sealed interface Outcome permits Unchanged, Rewritten, Failed {}

  /** Forward the original bytes. */
  record Unchanged() implements Outcome {}

  record Rewritten(byte[] body) implements Outcome {}

  record Failed(ProxyError error) implements Outcome {}

  /** One field's failure, which fails the whole body; no stack trace, it never leaves here. */
  private static final class FieldFailed extends Exception {
    final ProxyError error;

    FieldFailed(ProxyError error) {
      super(error.code(), null, false, false);
      this.error = error;
    }
  }

  private JsonRewriter() {}

  /**
   * Replaces every value at the rule's fields with its ciphertext: strings by their UTF-8 bytes,
   * numbers and booleans by their JSON text, objects and arrays by their compact JSON; nulls and
   * missing fields stay as they are. Values are encrypted field by field in the rule's order, each
   * field's values in document order, and the first failure fails the body.
   */
  static Outcome encryptRequest(byte[] body, ProxyRule rule, RequestFacts facts, FieldCrypto crypto) {
    List<FieldPath> fields = rule.fieldPaths();
    if (rule.fieldsMayOverlap()) {
      return encryptInTurn(body, rule, facts, crypto);
    }
    JsonSlots slots;
    try {
      slots = JsonSlots.scan(body, (position, token, text) -> {
        for (int i = 0; token != JsonToken.VALUE_NULL && i < fields.size(); i++) {
          if (fields.get(i).selects(position)) {
            return i;
          }
        }
        return -1;
      });
    } catch (IOException e) {
      return new Failed(ProxyError.malformedJson());
    }
    if (slots == null || slots.taken().isEmpty()) {
      return new Unchanged(); // an empty body (a GET labelled JSON) holds nothing to protect
    }
    List<Taken> taken = slots.taken();
    Integer[] order = new Integer[taken.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingInt(i -> taken.get(i).tag())); // stable: document order
    String[] ciphertexts = new String[taken.size()];
    for (int i : order) {
      Taken t = taken.get(i);
      byte[] plaintext = t.value() instanceof String text
          ? text.getBytes(StandardCharsets.UTF_8) : (byte[]) t.value();
      try {
        ciphertexts[i] = encryptOne(plaintext, t.pointer(), rule, facts, crypto);
      } catch (FieldFailed f) {
        return new Failed(f.error);
      }
    }
    return new Rewritten(slots.fill(Arrays.asList(ciphertexts)));
  }

  /** Fields that may overlap: each applies to the tree the previous ones left. */
  private static Outcome encryptInTurn(byte[] body, ProxyRule rule, RequestFacts facts,
      FieldCrypto crypto) {
    Object root;
    try {
      root = JsonTree.parse(body, JsonTree.Fractions.EXACT);
    } catch (IOException e) {
      return new Failed(ProxyError.malformedJson());
    }
    if (root == JsonTree.NO_VALUE) {
      return new Unchanged();
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
        try {
          m.replace(encryptOne(plaintext, m.pointer(), rule, facts, crypto));
        } catch (FieldFailed f) {
          return new Failed(f.error);
        }
        changed = true;
      }
    }
    return changed ? new Rewritten(JsonTree.toBytes(root)) : new Unchanged();
  }

  private static String encryptOne(byte[] plaintext, String pointer, ProxyRule rule,
      RequestFacts facts, FieldCrypto crypto) throws FieldFailed {
    Map<String, String> context = context(pointer, rule, facts);
    try {
      return crypto.encryptToText(rule.keyName(), plaintext, context);
    } catch (KeywardException e) {
      throw new FieldFailed(ProxyError.encryptionFailed(pointer, e));
    } catch (IllegalArgumentException e) {
      // The SDK's messages here are about sizes and shapes; still, keep ours fixed.
      throw new FieldFailed(ProxyError.invalidContext(pointer,
          "a context value is invalid (over 1024 bytes or not well-formed text) or the value"
              + " is too large"));
    }
  }

  /** The rule's context for the field at {@code pointer}. */
  private static Map<String, String> context(String pointer, ProxyRule rule, RequestFacts facts)
      throws FieldFailed {
    try {
      return rule.template().render(pointer, facts);
    } catch (IllegalStateException e) {
      throw new FieldFailed(ProxyError.invalidContext(pointer, e.getMessage()));
    }
  }

  /**
   * Replaces every string that looks like a Keyward ciphertext with its plaintext, decrypted under
   * the rule's context with {@code {field}} set to the string's own JSON Pointer, in document
   * order. A body that is not JSON, or holds no ciphertext, is left as it is.
   */
  static Outcome decryptResponse(byte[] body, ProxyRule rule, RequestFacts facts, FieldCrypto crypto) {
    JsonSlots slots;
    try {
      slots = JsonSlots.scan(body,
          (position, token, text) -> text != null && crypto.looksLikeCiphertext(text) ? 0 : -1);
    } catch (IOException e) {
      return new Unchanged(); // not ours to judge: the upstream's body goes through as it came
    }
    if (slots == null || slots.taken().isEmpty()) {
      return new Unchanged();
    }
    List<String> plaintexts = new ArrayList<>();
    for (Taken t : slots.taken()) {
      try {
        plaintexts.add(decryptOne((String) t.value(), t.pointer(), rule, facts, crypto));
      } catch (FieldFailed f) {
        return new Failed(f.error);
      }
    }
    return new Rewritten(slots.fill(plaintexts));
  }

  /** The plaintext, which must be UTF-8 text. */
  private static String decryptOne(String ciphertext, String pointer, ProxyRule rule,
      RequestFacts facts, FieldCrypto crypto) throws FieldFailed {
    Map<String, String> context = context(pointer, rule, facts);
    byte[] plaintext;
    try {
      plaintext = crypto.decryptText(ciphertext, context);
    } catch (KeywardException e) {
      throw new FieldFailed(ProxyError.decryptionFailed(pointer, e));
    } catch (IllegalArgumentException e) {
      throw new FieldFailed(ProxyError.invalidContext(pointer,
          "a context value is invalid (over 1024 bytes or not well-formed text)"));
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(plaintext))
          .toString();
    } catch (CharacterCodingException e) {
      throw new FieldFailed(ProxyError.notText(pointer));
    }
  }
}
