package io.keyward.sidecar.proxy;

import io.keyward.sidecar.ProxyRoutes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Serves the sidecar's {@code proxy:} routes with one {@link FieldProxy} each, sharing the
 * sidecar's keyserver client (and so its data-key caches). Validates every route before starting
 * any; if one cannot start, those already started are stopped.
 */
public final class FieldProxyRoutes implements ProxyRoutes {

  @Override
  public Handle start(List<Map<String, Object>> routes, Context context) throws Exception {
    List<ProxyRoute> parsed = ProxyRoute.listFromConfig(routes);
    FieldCrypto crypto = FieldCrypto.of(context.client());
    List<FieldProxy> started = new ArrayList<>();
    try {
      for (ProxyRoute route : parsed) {
        started.add(FieldProxy.start(route, crypto));
      }
    } catch (Exception e) {
      closeAll(started);
      throw e;
    }
    return () -> closeAll(started);
  }

  private static void closeAll(List<FieldProxy> proxies) {
    for (int i = proxies.size() - 1; i >= 0; i--) {
      proxies.get(i).close();
    }
  }
}
