package io.keyward.keyserver.rootkey;

/** The root key cannot be loaded or cannot open a value it is given. */
public final class RootKeyException extends Exception {
  public RootKeyException(String message) {
    super(message);
  }

  public RootKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
