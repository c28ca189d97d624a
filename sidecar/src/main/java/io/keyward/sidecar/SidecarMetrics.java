package io.keyward.sidecar;

import io.keyward.sdk.CacheStats;
import io.keyward.sdk.KeywardClient;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sidecar's Prometheus metrics: requests and their latency by API, route and status;
 * data-key cache hits and misses; keyserver calls by status (see {@link KeyserverHealth}). No
 * label ever holds a key name, context or payload.
 *
 * <p>The registry is the sidecar's own, not {@link PrometheusRegistry#defaultRegistry}, so that
 * several sidecars in one JVM (tests, {@code keyward dev}) do not collide. No metric records
 * exemplars: that would need the tracer bridges the build leaves out.
 */
final class SidecarMetrics {
  /**
   * Request latency bucket bounds in seconds: a local API answers from the data-key cache in well
   * under a millisecond and after a keyserver call within milliseconds; seconds mean trouble.
   */
  private static final double[] LATENCY_BOUNDS =
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

  /** {@code text/plain; version=0.0.4; charset=utf-8}. */
  static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
  private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

  final PrometheusRegistry registry = new PrometheusRegistry();
  private final Histogram requests = Histogram.builder()
      .name("keyward_sidecar_requests_seconds")
      .help("Local API requests by API, route and status")
      .labelNames("api", "route", "status")
      .classicUpperBounds(LATENCY_BOUNDS)
      .classicOnly()
      .withoutExemplars()
      .register(registry);
  /** API, then route: both are fixed names, so looking them up allocates nothing. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Route>> routes =
      new ConcurrentHashMap<>();

  void bindCache(KeywardClient client) {
    CounterWithCallback.builder()
        .name("keyward_sidecar_data_key_cache")
        .help("Data-key cache lookups; a miss is one keyserver call")
        .labelNames("cache", "result")
        .callback(cb -> {
          CacheStats s = client.cacheStats();
          cb.call(s.encryptHits(), "encrypt", "hit");
          cb.call(s.encryptMisses(), "encrypt", "miss");
          cb.call(s.decryptHits(), "decrypt", "hit");
          cb.call(s.decryptMisses(), "decrypt", "miss");
        })
        .register(registry);
  }

  /** Records one request; {@code route} is a fixed route name, never a raw path. */
  void request(String api, String route, int status, long nanos) {
    ConcurrentHashMap<String, Route> byRoute = routes.get(api);
    if (byRoute == null) {
      byRoute = routes.computeIfAbsent(api, k -> new ConcurrentHashMap<>());
    }
    Route r = byRoute.get(route);
    if (r == null) {
      r = byRoute.computeIfAbsent(route, k -> new Route(api, route));
    }
    r.child(status).observe(nanos / 1e9);
  }

  /** The text exposition format served on {@code GET /metrics}, as {@link #CONTENT_TYPE}. */
  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      WRITER.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not thrown by a ByteArrayOutputStream
    }
    return out.toByteArray();
  }

  /** One route's histogram children by status: a handful each, so a scanned array. */
  private final class Route {
    private final String api;
    private final String route;
    private volatile Child[] children = new Child[0];

    Route(String api, String route) {
      this.api = api;
      this.route = route;
    }

    DistributionDataPoint child(int status) {
      DistributionDataPoint found = find(children, status);
      return found != null ? found : add(status);
    }

    private synchronized DistributionDataPoint add(int status) {
      Child[] current = children;
      DistributionDataPoint found = find(current, status);
      if (found != null) {
        return found; // added by another thread meanwhile
      }
      Child added = new Child(status,
          requests.labelValues(api, route, Integer.toString(status)));
      Child[] grown = Arrays.copyOf(current, current.length + 1);
      grown[current.length] = added;
      children = grown;
      return added.point;
    }

    private static DistributionDataPoint find(Child[] children, int status) {
      for (Child c : children) {
        if (c.status == status) {
          return c.point;
        }
      }
      return null;
    }
  }

  private static final class Child {
    final int status;
    final DistributionDataPoint point;

    Child(int status, DistributionDataPoint point) {
      this.status = status;
      this.point = point;
    }
  }
}
