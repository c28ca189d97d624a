package io.keyward.sdk.aead;

import io.keyward.sdk.DecryptionFailedException;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM with a 96-bit nonce and 128-bit tag through the JDK provider (AES-NI and CLMUL
 * intrinsics). One {@link Cipher} per thread, re-initialised per message: getInstance is far too
 * slow for the hot path and a Cipher is not thread-safe.
 */
final class AesGcm {
  static final int NONCE_BYTES = 12;
  static final int TAG_BYTES = 16;
  private static final int TAG_BITS = 128;

  private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(AesGcm::newCipher);

  private AesGcm() {}

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("the JDK provides no AES/GCM/NoPadding", e);
    }
  }

  /**
   * Encrypts {@code in[inOff..inOff+len)} into {@code out} at {@code outOff} (ciphertext then tag).
   * The nonce is read from {@code nonceBuf[nonceOff..nonceOff+12)}; the AAD is {@code aad1}
   * followed by {@code aad2} (either may be null).
   */
  static void seal(SecretKey key, byte[] nonceBuf, int nonceOff, byte[] aad1, int aad1Len,
      byte[] aad2, byte[] in, int inOff, int len, byte[] out, int outOff) {
    Cipher c = CIPHER.get();
    try {
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonceBuf, nonceOff,
          NONCE_BYTES));
      if (aad1 != null && aad1Len > 0) {
        c.updateAAD(aad1, 0, aad1Len);
      }
      if (aad2 != null && aad2.length > 0) {
        c.updateAAD(aad2);
      }
      c.doFinal(in, inOff, len, out, outOff);
    } catch (GeneralSecurityException e) {
      // Only reachable through a bug (bad key size, buffer too small): never a data problem.
      throw new IllegalStateException("AES-GCM encryption failed: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Verifies and decrypts {@code in[inOff..inOff+len)} (ciphertext then tag) into {@code out} at
   * {@code outOff}; returns the plaintext length. Nothing is written to {@code out} unless the
   * tag verifies (the JDK buffers GCM decryption until the tag is checked).
   *
   * @throws DecryptionFailedException on any failure, whatever its cause
   */
  static int open(SecretKey key, byte[] nonceBuf, int nonceOff, byte[] aad1, int aad1Len,
      byte[] aad2, byte[] in, int inOff, int len, byte[] out, int outOff) {
    if (len < TAG_BYTES) {
      throw new DecryptionFailedException();
    }
    Cipher c = CIPHER.get();
    try {
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonceBuf, nonceOff,
          NONCE_BYTES));
      if (aad1 != null && aad1Len > 0) {
        c.updateAAD(aad1, 0, aad1Len);
      }
      if (aad2 != null && aad2.length > 0) {
        c.updateAAD(aad2);
      }
      return c.doFinal(in, inOff, len, out, outOff);
    } catch (AEADBadTagException e) {
      throw new DecryptionFailedException();
    } catch (GeneralSecurityException | IllegalArgumentException | IllegalStateException e) {
      throw new DecryptionFailedException();
    }
  }
}
