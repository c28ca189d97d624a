package io.keyward.sidecar.kms;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The key name and version at the start of a keyserver Encrypt ciphertext (format in the
 * keyserver's {@code keys/SealedBlobs}): {@code u8 purpose=0x02, u8 n, n bytes name, u32 version,
 * 16 salt, 12 nonce, ciphertext || 16-byte tag}. Parsing checks structure only; the keyserver
 * authenticates every header byte when it decrypts.
 */
record SealedHeader(String keyName, int version) {
  private static final byte CIPHERTEXT = 0x02;
  private static final int SALT_NONCE_TAG = 16 + 12 + 16;
  private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** Returns the header, or throws {@link IllegalArgumentException} (fixed message) when malformed. */
  static SealedHeader parse(byte[] blob) {
    if (blob.length < 2 + 1 + 4 + SALT_NONCE_TAG || blob[0] != CIPHERTEXT) {
      throw malformed();
    }
    int nameLength = blob[1] & 0xFF;
    if (nameLength == 0 || nameLength > 128 || blob.length < 2 + nameLength + 4 + SALT_NONCE_TAG) {
      throw malformed();
    }
    String name = new String(blob, 2, nameLength, StandardCharsets.ISO_8859_1);
    int version = ByteBuffer.wrap(blob, 2 + nameLength, 4).getInt();
    if (!KEY_NAME.matcher(name).matches() || version < 1) {
      throw malformed();
    }
    return new SealedHeader(name, version);
  }

  private static IllegalArgumentException malformed() {
    return new IllegalArgumentException("ciphertext is malformed");
  }
}
