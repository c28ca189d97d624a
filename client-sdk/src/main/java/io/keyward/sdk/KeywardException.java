package io.keyward.sdk;

/**
 * Base of every failure the SDK reports. Messages never contain key bytes, tokens, plaintext or
 * the keyserver's own error text.
 */
public abstract sealed class KeywardException extends RuntimeException
    permits NotAuthenticatedException,
        PermissionDeniedException,
        KeyNotFoundException,
        KeyVersionUnusableException,
        KeyserverUnavailableException,
        InvalidRequestException,
        DecryptionFailedException {

  KeywardException(String message) {
    super(message, null, false, false);
  }

  KeywardException(String message, Throwable cause) {
    super(message, cause, false, false);
  }

  /** True when the same call may succeed later without any change (only an unavailable keyserver). */
  public boolean isRetryable() {
    return false;
  }
}
