package io.keyward.sdk;

/** The keyserver did not accept the caller's token (missing, expired or untrusted): refresh the token; do not retry with the same one. */
public final class NotAuthenticatedException extends KeywardException {
  public NotAuthenticatedException(String message) {
    super(message);
  }
}
