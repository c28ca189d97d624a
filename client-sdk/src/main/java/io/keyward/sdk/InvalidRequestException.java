package io.keyward.sdk;

/** The keyserver rejected the request as malformed (e.g. a key name or context it does not accept). Not retryable. */
public final class InvalidRequestException extends KeywardException {
  public InvalidRequestException(String message) {
    super(message);
  }
}
