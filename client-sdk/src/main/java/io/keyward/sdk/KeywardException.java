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
    super(message);
  }

  KeywardException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Without a stack trace: for failures whose stack trace would tell which check failed, and
   * which hostile input can make frequent.
   */
  KeywardException(String message, boolean withoutStackTrace) {
    super(message, null, false, !withoutStackTrace);
  }

  /** True when the same call may succeed later without any change (only an unavailable keyserver). */
  public boolean isRetryable() {
    return false;
  }
}
