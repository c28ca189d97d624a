package io.keyward.keyserver;

/** The outcome classes a client can see. Each maps to one gRPC status code in {@code rpc.StatusMapper}. */
public enum ErrorCode {
  UNAUTHENTICATED,
  PERMISSION_DENIED,
  NOT_FOUND,
  ALREADY_EXISTS,
  FAILED_PRECONDITION,
  INVALID_ARGUMENT,
  UNAVAILABLE
}
