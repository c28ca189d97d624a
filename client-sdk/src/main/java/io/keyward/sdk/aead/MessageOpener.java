package io.keyward.sdk.aead;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.Header;
import java.util.Arrays;

/**
 * Opens the single messages that carry one given header, under its data key and with one
 * context: the header checks and the associated data are done once, not per message. A
 * ciphertext is opened only if it starts with exactly that header, byte for byte (compared in
 * constant time), so everything {@link #forHeader} checked holds for it too: format version,
 * algorithm, bounded lengths, key version, wrapped DEK and key commitment. Immutable and
 * thread-safe.
 */
public final class MessageOpener {
  private final DataKey key;
  private final byte[] header;
  private final byte[] aad;

  private MessageOpener(DataKey key, byte[] header, byte[] aad) {
    this.key = key;
    this.header = header;
    this.aad = aad;
  }

  /**
   * Checks that {@code header} is a message header whose key commitment is {@code key}'s
   * (constant time), and precomputes the associated data of its messages under {@code
   * canonicalContext} (see {@link Header#associatedData}).
   *
   * @throws DecryptionFailedException when it is not, with no hint of which check failed
   */
  public static MessageOpener forHeader(DataKey key, Header header, byte[] canonicalContext) {
    if (header.algorithm() != Header.ALGORITHM_MESSAGE
        || !key.commitmentMatches(header.array(), header.commitmentOffset())) {
      throw new DecryptionFailedException();
    }
    return new MessageOpener(key, Arrays.copyOf(header.array(), header.length()),
        header.associatedData(canonicalContext));
  }

  /**
   * Verifies and decrypts {@code ciphertext} if it starts with this opener's header. No
   * plaintext is returned unless the tag verifies over the nonce, payload and associated data.
   *
   * @return the plaintext, or null when the ciphertext carries another header (the caller then
   *     parses and checks that header itself)
   * @throws DecryptionFailedException when the header is this one but the rest does not verify
   */
  public byte[] openIfSameHeader(byte[] ciphertext) {
    int h = header.length;
    if (ciphertext.length < h || !ConstantTime.equal(ciphertext, 0, header, 0, h)) {
      return null;
    }
    int body = h + AesGcm.NONCE_BYTES;
    if (ciphertext.length - body < AesGcm.TAG_BYTES) {
      throw new DecryptionFailedException();
    }
    // Straight from the ciphertext array into a result of exact size: no intermediate copy.
    byte[] out = new byte[ciphertext.length - body - AesGcm.TAG_BYTES];
    AesGcm.open(key.messageKey(), ciphertext, h, aad, aad.length, null, ciphertext, body,
        ciphertext.length - body, out, 0);
    return out;
  }

  @Override
  public String toString() {
    return "MessageOpener[key=REDACTED]";
  }
}
