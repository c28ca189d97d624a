package io.keyward.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.InvalidRequestException;
import io.keyward.sdk.KeyNotFoundException;
import io.keyward.sdk.KeyVersionUnusableException;
import io.keyward.sdk.KeywardException;
import io.keyward.sdk.KeyserverUnavailableException;
import io.keyward.sdk.NotAuthenticatedException;
import io.keyward.sdk.PermissionDeniedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;

/** The one place where failures become an exit code and a one-line message. */
final class Failures {
  private Failures() {}

  static int exitCode(Throwable t) {
    if (t instanceof CliException e) {
      return e.exitCode();
    }
    if (t instanceof StatusRuntimeException e) {
      return exitCode(e.getStatus().getCode());
    }
    if (t instanceof NotAuthenticatedException || t instanceof PermissionDeniedException) {
      return ExitCodes.NOT_AUTHORIZED;
    }
    if (t instanceof KeyNotFoundException) {
      return ExitCodes.NOT_FOUND;
    }
    if (t instanceof KeyserverUnavailableException
        || t instanceof ConnectException || t instanceof HttpTimeoutException) {
      return ExitCodes.UNAVAILABLE;
    }
    if (t instanceof KeyVersionUnusableException) {
      return ExitCodes.FAILED_PRECONDITION;
    }
    if (t instanceof InvalidRequestException || t instanceof IllegalArgumentException) {
      return ExitCodes.USAGE;
    }
    return ExitCodes.FAILED;
  }

  static int exitCode(Status.Code code) {
    return switch (code) {
      case UNAUTHENTICATED, PERMISSION_DENIED -> ExitCodes.NOT_AUTHORIZED;
      case NOT_FOUND -> ExitCodes.NOT_FOUND;
      case UNAVAILABLE, DEADLINE_EXCEEDED -> ExitCodes.UNAVAILABLE;
      case FAILED_PRECONDITION, ALREADY_EXISTS -> ExitCodes.FAILED_PRECONDITION;
      case INVALID_ARGUMENT -> ExitCodes.USAGE;
      default -> ExitCodes.FAILED;
    };
  }

  /** One line for stderr. Server descriptions are Keyward-written; library messages are not shown. */
  static String message(Throwable t) {
    if (t instanceof CliException e) {
      return e.getMessage();
    }
    if (t instanceof StatusRuntimeException e) {
      return describe(e.getStatus());
    }
    if (t instanceof DecryptionFailedException) {
      return "decryption failed: the ciphertext is malformed or was tampered with, or the context differs";
    }
    if (t instanceof KeywardException e) {
      return e.getMessage();
    }
    if (t instanceof ConnectException) {
      return "unavailable: cannot connect";
    }
    if (t instanceof UncheckedIOException e) {
      return message(e.getCause());
    }
    if (t instanceof IOException e) {
      return "I/O error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
    if (t instanceof IllegalArgumentException e) {
      return e.getMessage();
    }
    return "unexpected error: " + t.getClass().getSimpleName();
  }

  static String describe(Status status) {
    String what = switch (status.getCode()) {
      case UNAUTHENTICATED -> "not authenticated";
      case PERMISSION_DENIED -> "permission denied";
      case NOT_FOUND -> "not found";
      case UNAVAILABLE -> "unavailable";
      case DEADLINE_EXCEEDED -> "unavailable (deadline exceeded)";
      case FAILED_PRECONDITION -> "failed precondition";
      case ALREADY_EXISTS -> "already exists";
      case INVALID_ARGUMENT -> "invalid argument";
      default -> status.getCode().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    };
    // UNAVAILABLE descriptions come from the transport (e.g. "io exception"); keep them short.
    String detail = status.getDescription();
    return detail == null || detail.isBlank() ? what : what + ": " + detail;
  }
}
