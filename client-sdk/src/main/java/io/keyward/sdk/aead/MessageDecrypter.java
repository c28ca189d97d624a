package io.keyward.sdk.aead;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.Header;

/** Opens single-message ciphertexts. Stateless and thread-safe. */
public final class MessageDecrypter {
  private MessageDecrypter() {}

  /**
   * Checks the key commitment in constant time, then verifies and decrypts the message. The
   * header (except the key version and wrapped DEK, see {@link Header#associatedData}) and the
   * canonical context are authenticated as AAD.
   *
   * @param header the parsed header of {@code ciphertext}, which must be a message header
   * @throws DecryptionFailedException on any failure, with no hint of its cause
   */
  public static byte[] open(DataKey key, Header header, byte[] ciphertext,
      byte[] canonicalContext) {
    int h = header.length();
    if (header.algorithm() != Header.ALGORITHM_MESSAGE
        || ciphertext.length - h < AesGcm.NONCE_BYTES + AesGcm.TAG_BYTES
        || !key.commitmentMatches(ciphertext, h - Header.COMMITMENT_BYTES)) {
      throw new DecryptionFailedException();
    }
    int body = h + AesGcm.NONCE_BYTES;
    byte[] out = new byte[ciphertext.length - body - AesGcm.TAG_BYTES];
    byte[] aad = header.associatedData(canonicalContext);
    AesGcm.open(key.messageKey(), ciphertext, h, aad, aad.length, null, ciphertext,
        body, ciphertext.length - body, out, 0);
    return out;
  }
}
