package io.keyward.sdk;

/** The keyserver's policy does not allow this caller this operation on this key and context. Not retryable. */
public final class PermissionDeniedException extends KeywardException {
  public PermissionDeniedException(String message) {
    super(message);
  }
}
