package io.keyward.keyserver.identity;

/**
 * A token was rejected. The message says why, for the server log only: clients get a fixed
 * "invalid token" reply. The message must never contain the token itself.
 */
public final class TokenRejectedException extends Exception {
  public TokenRejectedException(String reasonForLog) {
    super(reasonForLog, null, false, false);
  }
}
