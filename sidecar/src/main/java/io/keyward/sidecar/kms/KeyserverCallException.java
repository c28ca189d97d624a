package io.keyward.sidecar.kms;

import io.grpc.Status;

/**
 * A keyserver call that did not succeed, reduced to its status code. The server's description is
 * dropped: the code says what to do, and nothing the keyserver said reaches kube-apiserver.
 */
final class KeyserverCallException extends RuntimeException {
  private final Status.Code code;

  KeyserverCallException(String operation, Status.Code code) {
    super("keyserver " + operation + " failed: " + code, null, false, false);
    this.code = code;
  }

  Status.Code code() {
    return code;
  }
}
