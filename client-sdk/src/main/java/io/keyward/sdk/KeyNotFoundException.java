package io.keyward.sdk;

/** The named key does not exist on the keyserver. Not retryable. */
public final class KeyNotFoundException extends KeywardException {
  public KeyNotFoundException(String message) {
    super(message);
  }
}
