package io.keyward.keyserver.identity;

/** A JWKS document that must not be trusted as a whole. The message names no key material. */
final class InvalidJwksException extends Exception {
  InvalidJwksException(String message) {
    super(message, null, false, false);
  }
}
