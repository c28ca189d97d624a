package io.keyward.keyserver.keys;

import io.keyward.keyserver.KeyserverException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Validates an encryption context and encodes it canonically: entries sorted by the UTF-8 bytes
 * of their keys, as {@code u16 count || (u16 len || key || u16 len || value)*}. The encoding is
 * unambiguous, so two different maps never produce the same bytes.
 */
public final class EncryptionContexts {
  public static final int MAX_ENTRIES = 64;
  public static final int MAX_KEY_BYTES = 256;
  public static final int MAX_VALUE_BYTES = 1024;
  public static final int MAX_TOTAL_BYTES = 8192;

  private EncryptionContexts() {}

  public static byte[] canonical(Map<String, String> context) {
    if (context.size() > MAX_ENTRIES) {
      throw KeyserverException.invalid("encryption context has more than " + MAX_ENTRIES + " entries");
    }
    byte[][][] entries = new byte[context.size()][][];
    int i = 0;
    int total = 0;
    for (Map.Entry<String, String> e : context.entrySet()) {
      byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
      byte[] value = e.getValue().getBytes(StandardCharsets.UTF_8);
      if (key.length == 0 || key.length > MAX_KEY_BYTES) {
        throw KeyserverException.invalid(
            "encryption context keys must be 1-" + MAX_KEY_BYTES + " bytes");
      }
      if (value.length > MAX_VALUE_BYTES) {
        throw KeyserverException.invalid(
            "encryption context values must be at most " + MAX_VALUE_BYTES + " bytes");
      }
      total += key.length + value.length;
      entries[i++] = new byte[][] {key, value};
    }
    if (total > MAX_TOTAL_BYTES) {
      throw KeyserverException.invalid(
          "encryption context is larger than " + MAX_TOTAL_BYTES + " bytes");
    }
    Arrays.sort(entries, (a, b) -> Arrays.compareUnsigned(a[0], b[0]));
    ByteArrayOutputStream out = new ByteArrayOutputStream(2 + total + 4 * entries.length);
    writeU16(out, entries.length);
    for (byte[][] entry : entries) {
      writeU16(out, entry[0].length);
      out.writeBytes(entry[0]);
      writeU16(out, entry[1].length);
      out.writeBytes(entry[1]);
    }
    return out.toByteArray();
  }

  private static void writeU16(ByteArrayOutputStream out, int value) {
    out.write(value >>> 8);
    out.write(value);
  }
}
