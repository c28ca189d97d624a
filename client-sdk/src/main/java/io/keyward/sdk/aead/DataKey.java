package io.keyward.sdk.aead;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

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

  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[32];
    hkdf.generateBytes(out, 0, out.length);
    return out;
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
