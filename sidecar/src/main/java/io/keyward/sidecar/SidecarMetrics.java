package io.keyward.sidecar;

import io.keyward.sdk.CacheStats;
import io.keyward.sdk.KeywardClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The sidecar's Prometheus metrics: requests and their latency by API, route and status;
 * data-key cache hits and misses; keyserver calls by status (see {@link KeyserverHealth}). No
 * label ever holds a key name, context or payload.
 */
final class SidecarMetrics {
  final PrometheusMeterRegistry registry;
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

  SidecarMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  void bindCache(KeywardClient client) {
    cacheCounter(client, "encrypt", "hit", CacheStats::encryptHits);
    cacheCounter(client, "encrypt", "miss", CacheStats::encryptMisses);
    cacheCounter(client, "decrypt", "hit", CacheStats::decryptHits);
    cacheCounter(client, "decrypt", "miss", CacheStats::decryptMisses);
  }

  private void cacheCounter(KeywardClient client, String cache, String result,
      ToDoubleFunction<CacheStats> f) {
    FunctionCounter.builder("keyward_sidecar_data_key_cache", client,
            c -> f.applyAsDouble(c.cacheStats()))
        .description("Data-key cache lookups; a miss is one keyserver call")
        .tag("cache", cache).tag("result", result)
        .register(registry);
  }

  /** Records one request; {@code route} is a fixed route name, never a raw path. */
  void request(String api, String route, int status, long nanos) {
    String id = api + '|' + route + '|' + status;
    Timer t = timers.get(id);
    if (t == null) {
      t = timers.computeIfAbsent(id, k -> Timer.builder("keyward_sidecar_requests")
          .description("Local API requests by API, route and status")
          .tag("api", api).tag("route", route).tag("status", Integer.toString(status))
          .register(registry));
    }
    t.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }
}
