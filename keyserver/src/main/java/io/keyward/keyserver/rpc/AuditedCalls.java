package io.keyward.keyserver.rpc;

import io.grpc.stub.StreamObserver;
import io.keyward.keyserver.audit.AuditEvent;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.keys.CallRecord;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one unary operation: performs it, appends the audit record (allowed or denied), and only
 * once the record is durable replies. When the audit record cannot be written the caller gets
 * UNAVAILABLE and no result (fail closed).
 *
 * <p>The reply is sent from the audit log's completion, not by a thread waiting for it: a call
 * holds no thread while its record waits for the group commit, and no thread has to be woken per
 * call to send it.
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
    AuditEvent event = new AuditEvent(clock.instant(), requestId, Optional.of(CallContext.caller().auditName()),
        operation, record.keyName(), record.keyVersion(), failure == null ? "OK" : StatusMapper.outcome(failure));
    T reply = result;
    Throwable failed = failure;
    CompletableFuture<Void> durable;
    try {
      durable = audit.appendAsync(event);
    } catch (RuntimeException e) {
      durable = CompletableFuture.failedFuture(e);
    }
    durable.whenComplete((ignored, auditError) -> {
      if (auditError != null) {
        log.error("request {} {}: audit record not written; failing the call", requestId, operation, auditError);
        responses.onError(io.grpc.Status.UNAVAILABLE
            .withDescription("audit log unavailable; the result was withheld").asRuntimeException());
      } else if (failed != null) {
        responses.onError(StatusMapper.toStatus(failed, requestId).asRuntimeException());
      } else {
        responses.onNext(reply);
        responses.onCompleted();
      }
    });
  }
}
