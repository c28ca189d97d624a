package io.keyward.sdk.aead;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.Header;

/** Opens single-message ciphertexts. Stateless and thread-safe. */
public final class MessageDecrypter {
  private MessageDecrypter() {}

  /**
   * Checks the key commitment in constant time, then verifies and decrypts the message. The
   * header (except the key version and wrapped DEK, see {@link Header#associatedData}) and the
   * canonical context are authenticated as AAD. To open many messages under one header, keep a
   * {@link MessageOpener} instead.
   *
   * @param header the parsed header of {@code ciphertext}, which must be a message header
   * @throws DecryptionFailedException on any failure, with no hint of its cause
   */
  public static byte[] open(DataKey key, Header header, byte[] ciphertext,
      byte[] canonicalContext) {
    byte[] plaintext =
        MessageOpener.forHeader(key, header, canonicalContext).openIfSameHeader(ciphertext);
    if (plaintext == null) { // the header was not parsed from this ciphertext
      throw new DecryptionFailedException();
    }
    return plaintext;
  }
}
