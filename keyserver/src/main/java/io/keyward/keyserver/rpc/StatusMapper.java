package io.keyward.keyserver.rpc;

import io.grpc.Status;
import io.keyward.keyserver.KeyserverException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become gRPC statuses. Only Keyward-written messages reach the
 * client; anything unexpected becomes INTERNAL with the request id, and its details go to the log.
 */
final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  private StatusMapper() {}

  static Status toStatus(Throwable failure, String requestId) {
    if (failure instanceof KeyserverException e) {
      Status.Code code = switch (e.code()) {
        case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
        case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
        case NOT_FOUND -> Status.Code.NOT_FOUND;
        case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
        case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
        case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
        case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      };
      if (e.code() == io.keyward.keyserver.ErrorCode.UNAVAILABLE) {
        log.warn("request {} unavailable: {}", requestId, e.getMessage(), e.getCause());
      }
      return Status.fromCode(code).withDescription(e.getMessage());
    }
    log.error("request {} failed unexpectedly", requestId, failure);
    return Status.INTERNAL.withDescription("internal error (request " + requestId + ")");
  }

  static String outcome(Throwable failure) {
    return failure instanceof KeyserverException e ? e.code().name() : "INTERNAL";
  }
}
