package io.keyward.keyserver.rpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Counts and times every RPC by method and status code ({@code keyward_rpc_seconds}). */
public final class MetricsInterceptor implements ServerInterceptor {
  private final MeterRegistry registry;
  // One Timer per (method, code), built once: registering per call costs tags, a builder and a lookup.
  private final Map<String, Map<Status.Code, Timer>> timers = new ConcurrentHashMap<>();

  public MetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  private Timer timer(String method, Status.Code code) {
    return timers.computeIfAbsent(method, m -> new ConcurrentHashMap<>())
        .computeIfAbsent(code, c -> Timer.builder("keyward.rpc")
            .description("gRPC calls served, by method and status code")
            .tag("method", method)
            .tag("code", c.name())
            .register(registry));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Timer.Sample sample = Timer.start(registry);
    String method = call.getMethodDescriptor().getFullMethodName();
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        sample.stop(timer(method, status.getCode()));
        super.close(status, trailers);
      }
    }, headers);
  }
}
