package io.keyward.sdk.format;

import io.keyward.sdk.DecryptionFailedException;
import java.nio.charset.StandardCharsets;
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

  private TextForm() {}

  public static String encode(byte[] ciphertext) {
    return PREFIX + ENCODER.encodeToString(ciphertext);
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
    byte[] body = text.substring(PREFIX.length()).getBytes(StandardCharsets.US_ASCII);
    byte[] binary;
    try {
      binary = DECODER.decode(body);
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
