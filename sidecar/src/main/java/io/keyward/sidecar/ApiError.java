package io.keyward.sidecar;

import io.grpc.Status;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.InvalidRequestException;
import io.keyward.sdk.KeyNotFoundException;
import io.keyward.sdk.KeyVersionUnusableException;
import io.keyward.sdk.KeyserverUnavailableException;
import io.keyward.sdk.NotAuthenticatedException;
import io.keyward.sdk.PermissionDeniedException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One error of the local API: HTTP status, stable code, message, and the gRPC status the same
 * failure gets. The one place where failures become client-visible errors; messages never hold
 * plaintext, key bytes, tokens or a library's own text.
 */
record ApiError(int httpStatus, String code, String message, Status.Code grpcCode) {
  private static final Logger LOG = LoggerFactory.getLogger(ApiError.class);

  static ApiError malformed(String message) {
    return new ApiError(400, "malformed_request", message, Status.Code.INVALID_ARGUMENT);
  }

  static ApiError malformedCiphertext() {
    return new ApiError(400, "malformed_ciphertext",
        "ciphertext is not a text-form Keyward ciphertext (kw1.<base64url>)",
        Status.Code.INVALID_ARGUMENT);
  }

  static ApiError bodyTooLarge(int limit) {
    return new ApiError(400, "body_too_large",
        "request body is larger than the limit of " + limit + " bytes",
        Status.Code.INVALID_ARGUMENT);
  }

  static ApiError overloaded() {
    return new ApiError(503, "overloaded",
        "too many requests are waiting for the keyserver; retry with backoff",
        Status.Code.UNAVAILABLE);
  }

  /** Maps any failure of an operation; unexpected ones are logged by class name only. */
  static ApiError of(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof ApiException e) {
      return e.error;
    }
    if (t instanceof DecryptionFailedException) {
      return new ApiError(422, "decryption_failed",
          "decryption failed: wrong context, wrong key, or a damaged ciphertext",
          Status.Code.INVALID_ARGUMENT);
    }
    if (t instanceof KeyserverUnavailableException) {
      return new ApiError(503, "keyserver_unavailable",
          "the keyserver cannot be reached and no usable cached data key exists; retry with"
              + " backoff", Status.Code.UNAVAILABLE);
    }
    if (t instanceof NotAuthenticatedException) {
      return new ApiError(401, "identity_rejected",
          "the keyserver rejected this pod's identity token (missing, expired or untrusted)",
          Status.Code.UNAUTHENTICATED);
    }
    if (t instanceof PermissionDeniedException) {
      return new ApiError(403, "permission_denied",
          "policy does not allow this workload this operation on this key and context",
          Status.Code.PERMISSION_DENIED);
    }
    if (t instanceof KeyNotFoundException) {
      return new ApiError(404, "key_not_found", "key not found", Status.Code.NOT_FOUND);
    }
    if (t instanceof KeyVersionUnusableException) {
      return new ApiError(409, "key_version_unusable",
          "key version is disabled, destroyed or below the minimum decryption version",
          Status.Code.FAILED_PRECONDITION);
    }
    if (t instanceof InvalidRequestException) {
      return new ApiError(400, "invalid_request", "the keyserver rejected the request as"
          + " malformed", Status.Code.INVALID_ARGUMENT);
    }
    if (t instanceof IllegalArgumentException) {
      // The SDK's argument checks: key name, context shape, size limits. They quote no plaintext.
      return new ApiError(400, "invalid_request", String.valueOf(t.getMessage()),
          Status.Code.INVALID_ARGUMENT);
    }
    if (t instanceof RejectedExecutionException) {
      return overloaded();
    }
    LOG.error("unexpected failure ({})", t.getClass().getName());
    return new ApiError(500, "internal", "internal error", Status.Code.INTERNAL);
  }

  /** Carries an {@link ApiError} through futures; no stack trace (it is not a bug). */
  static final class ApiException extends RuntimeException {
    final ApiError error;

    ApiException(ApiError error) {
      super(error.message(), null, false, false);
      this.error = error;
    }
  }
}
