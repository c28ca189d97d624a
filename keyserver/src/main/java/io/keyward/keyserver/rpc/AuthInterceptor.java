package io.keyward.keyserver.rpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.keyward.keyserver.audit.AuditEvent;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.identity.TokenRejectedException;
import io.keyward.keyserver.identity.TokenVerifier;
import io.keyward.keyserver.identity.WorkloadIdentity;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call with its bearer token and puts the caller into the gRPC context. A
 * rejected token ends the call with UNAUTHENTICATED and a fixed message; the reason goes to the
 * server log, and the attempt to the audit log.
 */
public final class AuthInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuthInterceptor.class);
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";

  private final TokenVerifier verifier;
  private final AuditLog audit;
  private final Clock clock;

  public AuthInterceptor(TokenVerifier verifier, AuditLog audit, Clock clock) {
    this.verifier = verifier;
    this.audit = audit;
    this.clock = clock;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    // A request id needs uniqueness, not secrecy: no SecureRandom (and its lock) per call.
    ThreadLocalRandom r = ThreadLocalRandom.current();
    String requestId = new UUID(r.nextLong(), r.nextLong()).toString();
    String operation = call.getMethodDescriptor().getBareMethodName();
    WorkloadIdentity caller;
    try {
      Optional<String> token = bearerToken(headers);
      if (token.isEmpty()) {
        throw new TokenRejectedException("no bearer token");
      }
      caller = verifier.verify(token.get());
    } catch (TokenRejectedException e) {
      log.info("request {} {} rejected: {}", requestId, operation, e.getMessage());
      return reject(call, requestId, operation);
    }
    Metadata responseHeaders = new Metadata();
    responseHeaders.put(REQUEST_ID, requestId);
    ServerCall<Q, R> withRequestId = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void sendHeaders(Metadata h) {
        h.merge(responseHeaders);
        super.sendHeaders(h);
      }
    };
    Context context = Context.current().withValue(CallContext.CALLER, caller).withValue(CallContext.REQUEST_ID, requestId);
    return Contexts.interceptCall(context, withRequestId, headers, next);
  }

  /** The token of an {@code authorization: Bearer ...} header, if the call has one. */
  static Optional<String> bearerToken(Metadata headers) {
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Optional.empty();
    }
    return Optional.of(header.substring(BEARER.length()).trim());
  }

  /** Closes the call with UNAUTHENTICATED once the attempt is audited (UNAVAILABLE if it cannot be). */
  private <Q, R> ServerCall.Listener<Q> reject(ServerCall<Q, R> call, String requestId, String operation) {
    CompletableFuture<Void> audited;
    try {
      audited = audit.appendAsync(new AuditEvent(clock.instant(), requestId, Optional.empty(), operation,
          Optional.empty(), OptionalInt.empty(), "UNAUTHENTICATED"));
    } catch (RuntimeException e) {
      audited = CompletableFuture.failedFuture(e);
    }
    audited.whenComplete((ignored, error) -> {
      Status status = Status.UNAUTHENTICATED.withDescription("missing, invalid or expired bearer token");
      if (error != null) {
        log.warn("request {} could not be audited", requestId, error);
        status = Status.UNAVAILABLE.withDescription("audit log unavailable");
      }
      Metadata trailers = new Metadata();
      trailers.put(REQUEST_ID, requestId);
      call.close(status, trailers);
    });
    return new ServerCall.Listener<>() {};
  }
}
