package io.keyward.sidecar;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the keyserver answers, learnt from the outcome of every call the sidecar makes to it
 * (an interceptor on the channel) and from a health probe that runs while no traffic flows.
 * UNAVAILABLE and DEADLINE_EXCEEDED mean unreachable; any other answer means reached.
 * UNAUTHENTICATED is ignored: it is also what the SDK reports when the token file is unreadable,
 * before anything is sent.
 */
final class KeyserverHealth implements ClientInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(KeyserverHealth.class);
  static final Duration PROBE_HEALTHY = Duration.ofSeconds(10);
  static final Duration PROBE_UNHEALTHY = Duration.ofSeconds(1);

  private final MeterRegistry registry;
  private final Map<String, Counter> calls = new ConcurrentHashMap<>();
  private volatile boolean everReached;
  private volatile boolean reachable;
  private volatile long unreachableSinceMillis;
  private volatile long lastCallNanos;

  KeyserverHealth(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("keyward_sidecar_keyserver_reachable", this, h -> h.reachable ? 1 : 0)
        .description("1 while the keyserver answers, 0 while it cannot be reached")
        .register(registry);
  }

  boolean everReached() {
    return everReached;
  }

  boolean reachable() {
    return reachable;
  }

  long unreachableSinceMillis() {
    return unreachableSinceMillis;
  }

  void record(String method, Status.Code code) {
    String name = method.substring(method.lastIndexOf('/') + 1);
    calls.computeIfAbsent(name + "|" + code, k -> Counter.builder("keyward_sidecar_keyserver_calls")
        .description("Calls to the keyserver by method and gRPC status code")
        .tag("method", name).tag("code", code.name())
        .register(registry)).increment();
    lastCallNanos = System.nanoTime();
    if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
      if (reachable || !everReached && unreachableSinceMillis == 0) {
        unreachableSinceMillis = System.currentTimeMillis();
        LOG.warn("keyserver unreachable ({}); serving cached data keys only", code);
      }
      reachable = false;
    } else if (code != Status.Code.UNAUTHENTICATED) {
      if (!reachable) {
        LOG.info("keyserver reachable");
      }
      everReached = true;
      reachable = true;
      unreachableSinceMillis = 0;
    }
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
      CallOptions options, Channel next) {
    String name = method.getFullMethodName();
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
            listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            record(name, status.getCode());
            super.onClose(status, trailers);
          }
        }, headers);
      }
    };
  }

  /**
   * Probes with the gRPC health service (no token needed) now, then every second while the
   * keyserver is unreachable (resetting the channel's reconnect backoff) and every 10 s while it
   * is reachable but idle.
   */
  void startProbing(ManagedChannel channel, ScheduledExecutorService scheduler,
      Duration deadline) {
    scheduler.execute(() -> probe(channel, scheduler, deadline));
  }

  private void probe(ManagedChannel channel, ScheduledExecutorService scheduler,
      Duration deadline) {
    if (scheduler.isShutdown()) {
      return;
    }
    if (!reachable) {
      // Reconnect now rather than after gRPC's exponential backoff (up to 2 minutes), so the
      // sidecar recovers within about a second of the keyserver's return.
      channel.resetConnectBackoff();
    }
    boolean idle = System.nanoTime() - lastCallNanos > PROBE_HEALTHY.toNanos();
    if (!reachable || idle) {
      HealthGrpc.newFutureStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.getDefaultInstance()); // outcome recorded by the interceptor
    }
    Duration next = reachable ? PROBE_HEALTHY : PROBE_UNHEALTHY;
    try {
      scheduler.schedule(() -> probe(channel, scheduler, deadline), next.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // shutting down
    }
  }
}
