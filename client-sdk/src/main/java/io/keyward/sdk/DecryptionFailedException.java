package io.keyward.sdk;

/**
 * The ciphertext did not decrypt: it was malformed, truncated, extended, reordered, tampered with,
 * paired with a different context, or not produced under its key. The message is the same fixed
 * text whatever the cause, so that a caller (or an attacker probing with chosen ciphertexts)
 * learns nothing about which check failed.
 */
public final class DecryptionFailedException extends KeywardException {
  private static final String MESSAGE = "decryption failed";

  public DecryptionFailedException() {
    super(MESSAGE, true); // no stack trace: it would show which check failed
  }
}
