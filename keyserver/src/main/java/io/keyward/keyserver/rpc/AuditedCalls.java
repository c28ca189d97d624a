package io.keyward.keyserver.rpc;

import io.grpc.stub.StreamObserver;
import io.keyward.keyserver.audit.AuditEvent;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.keys.CallRecord;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one unary operation: performs it, appends the audit record (allowed or denied), and only
 * then replies. When the audit record cannot be written the caller gets UNAVAILABLE and no result
 * (fail closed).
 */
final class AuditedCalls {
  private static final Logger log = LoggerFactory.getLogger(AuditedCalls.class);

  private final AuditLog audit;
  private final Clock clock;

  AuditedCalls(AuditLog audit, Clock clock) {
    this.audit = audit;
    this.clock = clock;
  }

  <T> void run(String operation, StreamObserver<T> responses, Function<CallRecord, T> body) {
    String requestId = CallContext.requestId();
    CallRecord record = new CallRecord();
    T result = null;
    Throwable failure = null;
    try {
      result = body.apply(record);
    } catch (RuntimeException e) {
      failure = e;
    }
    try {
      audit.append(new AuditEvent(clock.instant(), requestId, Optional.of(CallContext.caller().auditName()),
          operation, record.keyName(), record.keyVersion(), failure == null ? "OK" : StatusMapper.outcome(failure)));
    } catch (RuntimeException e) {
      log.error("request {} {}: audit record not written; failing the call", requestId, operation, e);
      responses.onError(io.grpc.Status.UNAVAILABLE
          .withDescription("audit log unavailable; the result was withheld").asRuntimeException());
      return;
    }
    if (failure != null) {
      responses.onError(StatusMapper.toStatus(failure, requestId).asRuntimeException());
      return;
    }
    responses.onNext(result);
    responses.onCompleted();
  }
}
