package io.keyward.sidecar;

import io.keyward.sdk.KeywardClient;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hook through which the transparent JSON-field proxy ({@code io.keyward.sidecar.proxy})
 * starts its routes inside the sidecar process. The sidecar parses nothing of the {@code proxy:}
 * section beyond "a list of mappings"; the implementation validates and serves it.
 *
 * <p>{@link SidecarLauncher#start(SidecarConfig)} uses {@code proxy.FieldProxyRoutes} when the
 * configuration has at least one route; {@link SidecarLauncher#start(SidecarConfig, ProxyRoutes)}
 * takes another implementation (tests).
 */
public interface ProxyRoutes {

  /** What the sidecar shares with the proxy. */
  interface Context {
    /** The sidecar's one keyserver client: its data-key caches are shared with the local API. */
    KeywardClient client();

    /** The sidecar's metrics registry, exposed on {@code /metrics}. */
    PrometheusRegistry metricRegistry();

    /** The configured default key, if any. */
    Optional<String> defaultKey();
  }

  /** A running set of routes; closed (listeners stopped, connections drained) on shutdown. */
  interface Handle extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Validates {@code routes} (from {@link SidecarConfig#proxyRoutes()}) and starts serving them.
   * Called once, after the local API listens and before the sidecar reports itself started.
   *
   * @throws IllegalArgumentException when a route is invalid; the message names the route
   *     ({@code proxy[2].listen ...}) and is shown to the operator, so it must not hold secrets
   * @throws Exception when a listener cannot be started; start-up fails
   */
  Handle start(List<Map<String, Object>> routes, Context context) throws Exception;
}
