package io.keyward.keyserver;

import java.util.Objects;

/**
 * A failure that may be shown to the caller. The message is written by Keyward, never copied from
 * a library, and never contains key material, tokens or plaintext. The cause (if any) is for the
 * server log only.
 */
public final class KeyserverException extends RuntimeException {
  private final ErrorCode code;

  public KeyserverException(ErrorCode code, String clientMessage) {
    this(code, clientMessage, null);
  }

  public KeyserverException(ErrorCode code, String clientMessage, Throwable cause) {
    super(Objects.requireNonNull(clientMessage), cause, false, cause != null);
    this.code = Objects.requireNonNull(code);
  }

  public ErrorCode code() {
    return code;
  }

  public static KeyserverException notFound(String message) {
    return new KeyserverException(ErrorCode.NOT_FOUND, message);
  }

  public static KeyserverException invalid(String message) {
    return new KeyserverException(ErrorCode.INVALID_ARGUMENT, message);
  }

  public static KeyserverException precondition(String message) {
    return new KeyserverException(ErrorCode.FAILED_PRECONDITION, message);
  }

  public static KeyserverException unavailable(String message, Throwable cause) {
    return new KeyserverException(ErrorCode.UNAVAILABLE, message, cause);
  }
}
