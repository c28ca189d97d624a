package io.keyward.sdk.format;

import io.keyward.sdk.DecryptionFailedException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The text form of a ciphertext: {@code "kw1." + base64url(binary)} without padding. ASCII only,
 * safe in URLs and JSON strings, and recognisable by its prefix so that a proxy can tell a Keyward
 * ciphertext from any other string.
 */
public final class TextForm {
  /** Prefix of every text-form ciphertext of format version 1. */
  public static final String PREFIX = "kw1.";

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.US_ASCII);

  private TextForm() {}

  public static String encode(byte[] ciphertext) {
    // One buffer for prefix and body (the encoder writes from index 0, so the body is moved
    // up by the prefix's length): the sidecar encodes on every request, and each copy of a
    // ciphertext more is young-generation garbage.
    int rest = ciphertext.length % 3;
    int bodyLength = ciphertext.length / 3 * 4 + (rest == 0 ? 0 : rest + 1); // no padding
    byte[] text = new byte[PREFIX_BYTES.length + bodyLength];
    int written = ENCODER.encode(ciphertext, text);
    System.arraycopy(text, 0, text, PREFIX_BYTES.length, written);
    System.arraycopy(PREFIX_BYTES, 0, text, 0, PREFIX_BYTES.length);
    return new String(text, StandardCharsets.ISO_8859_1);
  }

  /**
   * Cheap check (no decoding) whether {@code s} has the shape of a Keyward text ciphertext: the
   * prefix, then only base64url characters, with a length a padless encoding can have. It says
   * nothing about authenticity.
   */
  public static boolean looksLikeCiphertext(CharSequence s) {
    int n = s.length();
    if (n <= PREFIX.length() || (n - PREFIX.length()) % 4 == 1) {
      return false;
    }
    for (int i = 0; i < PREFIX.length(); i++) {
      if (s.charAt(i) != PREFIX.charAt(i)) {
        return false;
      }
    }
    for (int i = PREFIX.length(); i < n; i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Decodes a text-form ciphertext to its binary form. Only the canonical encoding is accepted
   * (no padding, whitespace or stray low bits), so each ciphertext has exactly one text form.
   *
   * @throws DecryptionFailedException when {@code text} is not a well-formed text ciphertext
   */
  public static byte[] decode(String text) {
    if (text == null || !looksLikeCiphertext(text)) {
      throw new DecryptionFailedException();
    }
    byte[] binary;
    try {
      // looksLikeCiphertext admitted only ASCII: the bytes are the characters.
      ByteBuffer decoded = DECODER.decode(ByteBuffer.wrap(
          text.getBytes(StandardCharsets.ISO_8859_1), PREFIX.length(),
          text.length() - PREFIX.length()));
      binary = decoded.remaining() == decoded.array().length ? decoded.array()
          : Arrays.copyOf(decoded.array(), decoded.remaining());
    } catch (IllegalArgumentException e) {
      throw new DecryptionFailedException();
    }
    // Reject non-canonical trailing bits: re-encoding must give the same characters.
    int rem = binary.length % 3;
    if (rem != 0) {
      char last = text.charAt(text.length() - 1);
      int value = DECODER.decode("AAA" + last)[2] & 0xFF; // 6-bit value of the last char
      int unusedBits = rem == 1 ? 4 : 2;
      if ((value & ((1 << unusedBits) - 1)) != 0) {
        throw new DecryptionFailedException();
      }
    }
    return binary;
  }
}
