package io.keyward.keyserver.rpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Counts and times every RPC by method and status code ({@code keyward_rpc_seconds}). */
public final class MetricsInterceptor implements ServerInterceptor {
  private final MeterRegistry registry;

  public MetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Timer.Sample sample = Timer.start(registry);
    String method = call.getMethodDescriptor().getFullMethodName();
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        sample.stop(Timer.builder("keyward.rpc")
            .description("gRPC calls served, by method and status code")
            .tag("method", method)
            .tag("code", status.getCode().name())
            .publishPercentileHistogram(false)
            .register(registry));
        super.close(status, trailers);
      }
    }, headers);
  }
}
