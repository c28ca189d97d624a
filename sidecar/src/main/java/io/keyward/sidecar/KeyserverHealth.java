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
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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

  private final Counter calls;
  private final Map<String, CounterDataPoint> callsByMethodAndCode = new ConcurrentHashMap<>();
  private volatile boolean everReached;
  private volatile boolean reachable;
  private volatile long unreachableSinceMillis;
  private volatile long lastCallNanos;

  KeyserverHealth(PrometheusRegistry registry) {
    calls = Counter.builder()
        .name("keyward_sidecar_keyserver_calls")
        .help("Calls to the keyserver by method and gRPC status code")
        .labelNames("method", "code")
        .withoutExemplars()
        .register(registry);
    GaugeWithCallback.builder()
        .name("keyward_sidecar_keyserver_reachable")
        .help("1 while the keyserver answers, 0 while it cannot be reached")
        .callback(cb -> cb.call(reachable ? 1 : 0))
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
    callsByMethodAndCode.computeIfAbsent(name + "|" + code,
        k -> calls.labelValues(name, code.name())).inc();
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
