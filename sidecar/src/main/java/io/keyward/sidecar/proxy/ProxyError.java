package io.keyward.sidecar.proxy;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.KeyNotFoundException;
import io.keyward.sdk.KeyVersionUnusableException;
import io.keyward.sdk.KeywardException;
import io.keyward.sdk.KeyserverUnavailableException;
import io.keyward.sdk.NotAuthenticatedException;
import io.keyward.sdk.PermissionDeniedException;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * An error the proxy answers itself, as {@code {"error":{"code":..,"message":..}}}. Messages are
 * fixed text plus field paths, route names and header names: never a value, ciphertext or
 * plaintext.
 */
record ProxyError(HttpResponseStatus status, String code, String message) {
  static ProxyError badRequest(String code, String message) {
    return new ProxyError(HttpResponseStatus.BAD_REQUEST, code, message);
  }

  static ProxyError malformedJson() {
    return badRequest("malformed_json", "request body is not valid JSON");
  }

  static ProxyError bodyTooLarge(long max) {
    return new ProxyError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
        "request body exceeds the proxy limit of " + max + " bytes");
  }

  static ProxyError responseTooLarge(long max) {
    return new ProxyError(HttpResponseStatus.BAD_GATEWAY, "response_too_large",
        "upstream JSON response exceeds the proxy limit of " + max + " bytes for decryption");
  }

  static ProxyError upstreamUnavailable() {
    return new ProxyError(HttpResponseStatus.BAD_GATEWAY, "upstream_unavailable",
        "the upstream could not be reached or closed the connection");
  }

  static ProxyError overloaded() {
    return new ProxyError(HttpResponseStatus.SERVICE_UNAVAILABLE, "overloaded",
        "the proxy has too many encryption requests in flight; retry later");
  }

  static ProxyError encryptionFailed(String pointer, KeywardException e) {
    if (e instanceof KeyserverUnavailableException) {
      return keyserverUnavailable();
    }
    String why = e instanceof PermissionDeniedException || e instanceof NotAuthenticatedException
        ? "the keyserver refused this workload"
        : e instanceof KeyNotFoundException ? "the key does not exist"
        : e instanceof KeyVersionUnusableException ? "the key has no usable version"
        : "the keyserver rejected the request";
    return new ProxyError(HttpResponseStatus.BAD_GATEWAY, "encryption_failed",
        "field " + pointer + " could not be encrypted: " + why);
  }

  static ProxyError decryptionFailed(String pointer, KeywardException e) {
    if (e instanceof KeyserverUnavailableException) {
      return keyserverUnavailable();
    }
    String why = e instanceof DecryptionFailedException ? ""
        : e instanceof PermissionDeniedException || e instanceof NotAuthenticatedException
            ? ": the keyserver refused this workload"
            : e instanceof KeyVersionUnusableException ? ": its key version is no longer usable"
            : e instanceof KeyNotFoundException ? ": its key does not exist" : "";
    return new ProxyError(HttpResponseStatus.BAD_GATEWAY, "decryption_failed",
        "field " + pointer + " could not be decrypted" + why);
  }

  static ProxyError notText(String pointer) {
    return new ProxyError(HttpResponseStatus.BAD_GATEWAY, "decryption_failed",
        "field " + pointer + " decrypted to bytes that are not UTF-8 text");
  }

  static ProxyError keyserverUnavailable() {
    return new ProxyError(HttpResponseStatus.SERVICE_UNAVAILABLE, "keyserver_unavailable",
        "the keyserver is unavailable; retry later");
  }

  static ProxyError invalidContext(String pointer, String why) {
    return badRequest("invalid_context", "encryption context for field " + pointer + ": " + why);
  }

  static ProxyError internal() {
    return new ProxyError(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
        "the proxy failed to process this exchange");
  }
}
