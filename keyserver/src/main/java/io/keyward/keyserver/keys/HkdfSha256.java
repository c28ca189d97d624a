package io.keyward.keyserver.keys;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869) on the JDK's HmacSHA256, whose SHA-256 runs on CPU intrinsics (SHA-NI,
 * AVX2); BouncyCastle's pure-Java digest made this the largest keyserver-side cost per wrapped
 * data key. Same function as BouncyCastle's {@code HKDFBytesGenerator}, so existing blobs open
 * unchanged; the tests compare both.
 */
final class HkdfSha256 {
  private static final String HMAC = "HmacSHA256";
  private static final int HASH_LENGTH = 32;
  private static final byte[] ZERO_SALT = new byte[HASH_LENGTH];
  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(HkdfSha256::newMac);

  private HkdfSha256() {}

  /**
   * Derives {@code length} bytes (1..8160) from {@code ikm}, {@code salt} (empty means the RFC's
   * all-zero salt) and {@code info}. The intermediate PRK is zeroed before returning.
   */
  static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
    if (length < 1 || length > 255 * HASH_LENGTH) {
      throw new IllegalArgumentException("HKDF output length must be within 1..8160, got " + length);
    }
    Mac mac = MAC.get();
    byte[] prk = null;
    byte[] block = new byte[0];
    try {
      mac.init(new SecretKeySpec(salt.length == 0 ? ZERO_SALT : salt, HMAC));
      prk = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(prk, HMAC));
      byte[] out = new byte[length];
      for (int done = 0, i = 1; done < length; i++) {
        mac.update(block);
        mac.update(info);
        mac.update((byte) i);
        Arrays.fill(block, (byte) 0);
        block = mac.doFinal();
        int n = Math.min(HASH_LENGTH, length - done);
        System.arraycopy(block, 0, out, done, n);
        done += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    } finally {
      if (prk != null) {
        Arrays.fill(prk, (byte) 0);
      }
      Arrays.fill(block, (byte) 0);
      // The thread's Mac keeps this PRK-keyed state until its next use, as a discarded Mac would
      // until collected; it never leaves the process.
    }
  }

  private static Mac newMac() {
    try {
      return Mac.getInstance(HMAC);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
