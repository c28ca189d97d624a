package io.keyward.sdk;

/** The key version is disabled, scheduled for destruction, destroyed or below the key's minimum decryption version (or the key has no usable primary). Not retryable until an operator acts. */
public final class KeyVersionUnusableException extends KeywardException {
  public KeyVersionUnusableException(String message) {
    super(message);
  }
}
