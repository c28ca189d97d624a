package io.keyward.sidecar.proxy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One proxy route: where it listens, where it forwards, and the rules that say which JSON fields
 * are encrypted on the way there and whether ciphertexts are decrypted on the way back.
 * Immutable and validated; see docs/proxy.md for the format and semantics.
 */
public final class ProxyRoute {
  /** Default limit on a body the proxy has to hold in memory (1 MiB). */
  public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;
  /** Upper bound on {@code maxBodyBytes}, so that one request cannot take the sidecar's heap. */
  public static final long MAX_MAX_BODY_BYTES = 64L << 20;

  private static final Set<String> SETTINGS =
      Set.of("name", "listen", "upstream", "maxBodyBytes", "decryptResponses", "rules");

  private final String name;
  private final String listenHost;
  private final int listenPort;
  private final URI upstream;
  private final long maxBodyBytes;
  private final boolean decryptResponses;
  private final List<ProxyRule> rules;

  private ProxyRoute(String name, String listenHost, int listenPort, URI upstream,
      long maxBodyBytes, boolean decryptResponses, List<ProxyRule> rules) {
    this.name = name;
    this.listenHost = listenHost;
    this.listenPort = listenPort;
    this.upstream = upstream;
    this.maxBodyBytes = maxBodyBytes;
    this.decryptResponses = decryptResponses;
    this.rules = rules;
  }

  /**
   * Builds a route from one element of the {@code proxy:} list of the sidecar's YAML config, as
   * parsed into maps, lists, strings, numbers and booleans.
   *
   * @throws IllegalArgumentException naming the route and the setting when anything is missing,
   *     unknown or invalid
   */
  public static ProxyRoute fromConfig(Map<String, Object> yamlMap) {
    if (yamlMap == null) {
      throw new IllegalArgumentException("proxy route must be a map, got nothing");
    }
    Object rawName = yamlMap.get("name");
    String label = rawName instanceof String s && !s.isBlank() ? "proxy route " + s.trim() : "proxy route";
    ConfigMap c = new ConfigMap(yamlMap, label, SETTINGS);
    String name = c.requiredString("name");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      throw new IllegalArgumentException(c.where("name")
          + " must be 1-63 letters, digits, '.', '_' or '-', got '" + name + "'");
    }
    String listen = c.requiredString("listen");
    int colon = listen.lastIndexOf(':');
    String host = colon > 0 ? listen.substring(0, colon) : "";
    String portText = colon > 0 ? listen.substring(colon + 1) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty() || !portText.matches("[0-9]{1,5}") || Integer.parseInt(portText) > 65535) {
      throw new IllegalArgumentException(c.where("listen")
          + " must be host:port (port 0-65535, 0 picks a free port), got '" + listen + "'");
    }
    URI upstream = upstream(c);
    long maxBody = c.longValue("maxBodyBytes", DEFAULT_MAX_BODY_BYTES, 1, MAX_MAX_BODY_BYTES);
    boolean decrypt = c.booleanValue("decryptResponses", true);
    List<Map<?, ?>> rawRules = c.mapList("rules");
    List<ProxyRule> rules = new ArrayList<>();
    for (int i = 0; i < rawRules.size(); i++) {
      rules.add(ProxyRule.fromConfig(rawRules.get(i), c.where("rules[" + i + "]")));
    }
    return new ProxyRoute(name, host, Integer.parseInt(portText), upstream, maxBody, decrypt,
        List.copyOf(rules));
  }

  /**
   * Builds every route of the {@code proxy:} section (a list of maps; null means no routes) and
   * checks that names and fixed listen addresses are unique.
   *
   * @throws IllegalArgumentException naming the route and the setting when anything is invalid
   */
  @SuppressWarnings("unchecked")
  public static List<ProxyRoute> listFromConfig(Object proxySection) {
    if (proxySection == null) {
      return List.of();
    }
    if (!(proxySection instanceof List<?> list)) {
      throw new IllegalArgumentException("proxy must be a list of routes");
    }
    List<ProxyRoute> routes = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    Set<String> listens = new java.util.HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("proxy[" + i + "] must be a map");
      }
      ProxyRoute route = fromConfig((Map<String, Object>) m);
      if (!names.add(route.name())) {
        throw new IllegalArgumentException("proxy route " + route.name() + ": name is used twice");
      }
      String listen = route.listenHost() + ":" + route.listenPort();
      if (route.listenPort() != 0 && !listens.add(listen)) {
        throw new IllegalArgumentException("proxy route " + route.name() + ", listen " + listen
            + " is already used by another route");
      }
      routes.add(route);
    }
    return List.copyOf(routes);
  }

  private static URI upstream(ConfigMap c) {
    String text = c.requiredString("upstream");
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(c.where("upstream") + " is not a URL: '" + text + "'");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("https")) {
      throw new IllegalArgumentException(c.where("upstream")
          + ": https upstreams are not supported yet; use http (e.g. to a local TLS-terminating"
          + " peer), got '" + text + "'");
    }
    if (!scheme.equals("http") || uri.getHost() == null || uri.getRawQuery() != null
        || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(c.where("upstream")
          + " must be http://host[:port][/base-path] without query, fragment or user info, got '"
          + text + "'");
    }
    return uri;
  }

  public String name() {
    return name;
  }

  /** Host or IP address to bind. */
  public String listenHost() {
    return listenHost;
  }

  /** Port to bind; 0 picks a free one (see {@link FieldProxy#port()}). */
  public int listenPort() {
    return listenPort;
  }

  /** {@code http://host[:port][/base-path]}; request paths are appended to the base path. */
  public URI upstream() {
    return upstream;
  }

  /** Largest body the proxy holds in memory to rewrite (requests) or decrypt (responses). */
  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** Whether JSON responses to requests on a rule's path have their ciphertexts decrypted. */
  public boolean decryptResponses() {
    return decryptResponses;
  }

  /** The rules, in the order they are tried. */
  public List<ProxyRule> rules() {
    return rules;
  }

  int upstreamPort() {
    return upstream.getPort() >= 0 ? upstream.getPort() : 80;
  }

  /** The Host header value for the upstream. */
  String upstreamAuthority() {
    return upstream.getRawAuthority();
  }

  /** The upstream base path without a trailing slash ("" for none). */
  String upstreamBasePath() {
    String p = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  /** The rule that encrypts this request, if any: the first matching method and path. */
  Optional<ProxyRule> requestRule(String method, String path) {
    return ProxyRule.first(rules, method, path);
  }

  /**
   * The rule whose context decrypts the response to this request: the first matching method and
   * path, else the first matching path whatever the method (a GET reads what a POST wrote).
   */
  Optional<ProxyRule> responseRule(String method, String path) {
    Optional<ProxyRule> exact = ProxyRule.first(rules, method, path);
    return exact.isPresent() ? exact : rules.stream().filter(r -> r.matchesPath(path)).findFirst();
  }

  @Override
  public String toString() {
    return "ProxyRoute{name=" + name + ", listen=" + listenHost + ":" + listenPort + ", upstream="
        + upstream + ", maxBodyBytes=" + maxBodyBytes + ", decryptResponses=" + decryptResponses
        + ", rules=" + rules + "}";
  }
}
