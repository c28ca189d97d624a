package io.keyward.keyserver.config;

/**
 * The server configuration is invalid. The message names the setting, where its value came from
 * and the bad value, e.g. {@code listen must be host:port, got 'abc' (flag --listen)}. Values are
 * quoted only for settings that never hold secrets, which is all of them: the configuration holds
 * passphrase sources (an environment variable's name, a file path), never a passphrase.
 */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
