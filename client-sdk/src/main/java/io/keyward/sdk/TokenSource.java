package io.keyward.sdk;

/**
 * Supplies the bearer token (a JWT) sent as {@code authorization: Bearer <token>} on every
 * keyserver call. Called once per call, from gRPC's executor; implementations must be
 * thread-safe and should be cheap. See {@link TokenSources} for the usual ones.
 */
@FunctionalInterface
public interface TokenSource {
  /**
   * Returns the current token. Throw any runtime exception when none is available; the call then
   * fails with {@link NotAuthenticatedException} and the exception's message is not passed on.
   */
  String token();
}
