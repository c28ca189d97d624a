package io.keyward.sdk;

/**
 * The keyserver could not be reached, did not answer within the call deadline, or answered with
 * something unusable. Retry with backoff. Data keys already cached keep working meanwhile.
 */
public final class KeyserverUnavailableException extends KeywardException {
  public KeyserverUnavailableException(String message) {
    super(message);
  }

  public KeyserverUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
