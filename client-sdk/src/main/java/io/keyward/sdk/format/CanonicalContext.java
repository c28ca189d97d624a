package io.keyward.sdk.format;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The canonical byte encoding of an encryption context (docs/ciphertext-format.md, section
 * "Canonical context"): {@code u16 count}, then per entry sorted by the unsigned bytes of its
 * UTF-8 key, {@code u16 len, key, u16 len, value}. Two maps encode equal iff they are equal.
 */
public final class CanonicalContext {
  public static final int MAX_ENTRIES = 64;
  public static final int MAX_KEY_BYTES = 256;
  public static final int MAX_VALUE_BYTES = 1024;

  private static final byte[] EMPTY = {0, 0};
  private static final ThreadLocal<CharsetEncoder> STRICT_UTF8 = ThreadLocal.withInitial(() ->
      StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT));

  private CanonicalContext() {}

  /**
   * Encodes {@code context}.
   *
   * @throws IllegalArgumentException when the map is null, holds null, empty or oversized keys,
   *     null or oversized values, strings that are not well-formed Unicode (lone surrogates would
   *     otherwise collapse to '?' and make two contexts encode alike), or too many entries
   */
  public static byte[] encode(Map<String, String> context) {
    if (context == null) {
      throw new IllegalArgumentException("context must not be null (use Map.of())");
    }
    if (context.isEmpty()) {
      return EMPTY.clone();
    }
    if (context.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(
          "context may hold at most " + MAX_ENTRIES + " entries, got " + context.size());
    }
    CharsetEncoder utf8 = STRICT_UTF8.get();
    List<byte[][]> entries = new ArrayList<>(context.size());
    int total = 2;
    for (Map.Entry<String, String> e : context.entrySet()) {
      byte[] k = utf8(utf8, e.getKey(), "context key");
      byte[] v = utf8(utf8, e.getValue(), "context value");
      if (k.length == 0 || k.length > MAX_KEY_BYTES) {
        throw new IllegalArgumentException(
            "context key must be 1.." + MAX_KEY_BYTES + " UTF-8 bytes, got " + k.length);
      }
      if (v.length > MAX_VALUE_BYTES) {
        throw new IllegalArgumentException(
            "context value must be at most " + MAX_VALUE_BYTES + " UTF-8 bytes, got " + v.length);
      }
      entries.add(new byte[][] {k, v});
      total += 4 + k.length + v.length;
    }
    entries.sort((a, b) -> Arrays.compareUnsigned(a[0], b[0]));
    ByteBuffer out = ByteBuffer.allocate(total);
    out.putShort((short) entries.size());
    for (byte[][] e : entries) {
      out.putShort((short) e[0].length).put(e[0]);
      out.putShort((short) e[1].length).put(e[1]);
    }
    return out.array();
  }

  private static byte[] utf8(CharsetEncoder encoder, String s, String what) {
    if (s == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    boolean surrogates = false;
    for (int i = 0; i < s.length() && !surrogates; i++) {
      surrogates = Character.isSurrogate(s.charAt(i));
    }
    if (!surrogates) {
      return s.getBytes(StandardCharsets.UTF_8); // fast path: nothing that can be malformed
    }
    try {
      ByteBuffer bytes = encoder.reset().encode(CharBuffer.wrap(s));
      byte[] out = new byte[bytes.remaining()];
      bytes.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(what + " is not well-formed Unicode (lone surrogate)");
    }
  }
}
