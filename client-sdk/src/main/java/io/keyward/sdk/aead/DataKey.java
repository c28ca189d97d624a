package io.keyward.sdk.aead;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys derived from one 256-bit data key (DEK): the AES-256-GCM message key and the key
 * commitment that every ciphertext under this DEK carries. Derived once per DEK, so the hot path
 * never runs HKDF. The DEK itself is not kept.
 *
 * <p>Derivation (docs/ciphertext-format.md, "Key derivation"): HKDF-SHA256 with the DEK as input
 * key material, no salt, and a distinct info string for each output.
 */
public final class DataKey {
  public static final int DEK_BYTES = 32;
  private static final String HMAC = "HmacSHA256";

  static final byte[] INFO_MESSAGE_KEY = ascii("keyward v1 aes-256-gcm key");
  static final byte[] INFO_COMMITMENT = ascii("keyward v1 key commitment");
  static final byte[] INFO_STREAM_KEY = ascii("keyward v1 stream segment key");

  private final SecretKey messageKey;
  private final byte[] commitment;

  private DataKey(SecretKey messageKey, byte[] commitment) {
    this.messageKey = messageKey;
    this.commitment = commitment;
  }

  /**
   * Derives the message key and commitment from raw DEK bytes. The caller still owns {@code dek}
   * and should overwrite it when done.
   *
   * @throws IllegalArgumentException when {@code dek} is not 32 bytes
   */
  public static DataKey deriveFromInsecureBytes(byte[] dek) {
    if (dek == null || dek.length != DEK_BYTES) {
      throw new IllegalArgumentException(
          "data key must be 32 bytes, got " + (dek == null ? "null" : dek.length));
    }
    byte[] k = hkdf(dek, null, INFO_MESSAGE_KEY);
    SecretKey key = new SecretKeySpec(k, "AES");
    Arrays.fill(k, (byte) 0);
    return new DataKey(key, hkdf(dek, null, INFO_COMMITMENT));
  }

  /**
   * HKDF-SHA256 (RFC 5869) with a 32-byte output, which is the first and only block of
   * HKDF-Expand: T(1) = HMAC(PRK, info || 0x01). A null or empty salt means HashLen zero bytes.
   * On the JDK's HmacSHA256, so the SDK loads no BouncyCastle (a signed jar, whose verification
   * alone costs a process several MiB) at run time.
   */
  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info) {
    byte[] prk = null;
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(salt == null || salt.length == 0 ? new byte[32] : salt, HMAC));
      prk = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(prk, HMAC));
      mac.update(info);
      mac.update((byte) 1);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    } finally {
      if (prk != null) {
        Arrays.fill(prk, (byte) 0);
      }
    }
  }

  SecretKey messageKey() {
    return messageKey;
  }

  /** Derives the per-stream segment key for a stream's random salt. */
  SecretKey streamKey(byte[] salt) {
    byte[] ikm = messageKey.getEncoded();
    byte[] k = hkdf(ikm, salt, INFO_STREAM_KEY);
    SecretKey key = new SecretKeySpec(k, "AES");
    Arrays.fill(ikm, (byte) 0);
    Arrays.fill(k, (byte) 0);
    return key;
  }

  /** The 32-byte key commitment (not secret: every ciphertext header carries it). */
  public byte[] commitment() {
    return commitment.clone();
  }

  /** Constant-time check that {@code header[offset..offset+32)} is this key's commitment. */
  public boolean commitmentMatches(byte[] header, int offset) {
    if (offset < 0 || header.length - offset < commitment.length) {
      return false;
    }
    return ConstantTime.equal(commitment, 0, header, offset, commitment.length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "DataKey[REDACTED]";
  }
}
