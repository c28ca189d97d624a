package io.keyward.sidecar;

/**
 * The sidecar configuration is invalid. The message names the setting, where its value came from
 * and the bad value, e.g. {@code listen.http must be host:port, got 'abc' (flag --http-listen)}.
 * The configuration holds no secret (the token is referenced by its file path), so values are
 * quoted.
 */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
