package io.keyward.keyserver.identity;

/** Verifies a bearer token and says who presented it. Thread-safe. */
public interface TokenVerifier {

  /**
   * @param bearerToken the compact JWT, without the {@code Bearer } prefix
   * @return the verified identity
   * @throws TokenRejectedException when the token is not acceptable for any reason; its message
   *     is for the server log (it never contains the token) and is never sent to the client
   */
  WorkloadIdentity verify(String bearerToken) throws TokenRejectedException;

  /**
   * Whether {@link #verify} would answer for this token from memory, without I/O (a JWKS fetch)
   * or a signature check: it was verified before and has not expired. Never throws.
   */
  default boolean answersFromMemory(String bearerToken) {
    return false;
  }
}
