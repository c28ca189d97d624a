package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM under a 32-byte root key held in memory, shared by the file and passphrase providers.
 * Wrapped format: version byte {@code 0x01} | 12-byte random nonce | ciphertext and 16-byte tag. A
 * random 96-bit nonce per wrap is safe here: a root key wraps version secrets and check values, far
 * fewer than the 2^32 messages the random-nonce bound allows.
 */
final class AesGcmKey {
  static final int KEY_BYTES = 32;
  private static final byte FORMAT_V1 = 0x01;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final int MIN_WRAPPED = 1 + NONCE_BYTES + TAG_BITS / 8;
  private static final byte[] ID_LABEL = "keyward root key id".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();

  // JDK 17's SecretKeySpec cannot be wiped; close() only stops further use.
  private final SecretKeySpec key;
  private final String id;
  private volatile boolean closed;

  /** Copies {@code material}; the caller should wipe its array. */
  AesGcmKey(byte[] material) {
    if (material.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          "root key must be " + KEY_BYTES + " bytes, got " + material.length);
    }
    this.key = new SecretKeySpec(material, "AES");
    this.id = fingerprint(material);
  }

  /**
   * First 16 hex digits of HMAC-SHA256(key, "keyward root key id"): names the key, reveals nothing.
   */
  private static String fingerprint(byte[] material) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(material, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(ID_LABEL), 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  String id() {
    return id;
  }

  byte[] wrap(byte[] plaintext, byte[] aad) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(aad, "aad");
    checkOpen();
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      ByteBuffer out =
          ByteBuffer.allocate(1 + NONCE_BYTES + cipher.getOutputSize(plaintext.length));
      out.put(FORMAT_V1).put(nonce);
      cipher.doFinal(ByteBuffer.wrap(plaintext), out);
      return out.array();
    } catch (GeneralSecurityException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, "root key unavailable", e);
    }
  }

  byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(aad, "aad");
    checkOpen();
    if (wrapped.length < MIN_WRAPPED || wrapped[0] != FORMAT_V1) {
      throw new RootKeyException("wrapped value is malformed");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, wrapped, 1, NONCE_BYTES));
      cipher.updateAAD(aad);
      return cipher.doFinal(wrapped, 1 + NONCE_BYTES, wrapped.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new RootKeyException(
          "wrapped value does not open under root key "
              + id
              + " (other key, other context, or tampered)",
          e);
    } catch (GeneralSecurityException e) {
      throw new RootKeyException("wrapped value cannot be opened", e);
    }
  }

  void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, "root key is closed");
    }
  }
}
