package io.keyward.sidecar;

import io.keyward.sdk.KeywardSettings;
import io.keyward.sdk.format.Header;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sidecar's validated, immutable configuration. Each setting comes from, in order of
 * precedence: a command-line flag, a {@code KEYWARD_*} environment variable, the YAML file, the
 * built-in default. Every key, default, variable and flag is listed in {@code docs/sidecar.md}.
 *
 * <p>The configuration holds no secret: the identity token is referenced by its file path and is
 * read by the token source, not here. The {@code proxy:} section is kept as plain YAML values
 * (maps, lists, strings, numbers, booleans) for the proxy to validate; see {@link ProxyRoutes}.
 */
public final class SidecarConfig {
  static final Duration MAX_AGE = Duration.ofDays(1);
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
  private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+):(\\d{1,5})");

  /** A loopback listening address; port 0 picks a free port. */
  public record HostPort(String host, int port) {
    public HostPort {
      Objects.requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      }
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  private final Map<Setting, Object> values;
  private final List<Map<String, Object>> proxyRoutes;

  private SidecarConfig(Map<Setting, Object> values, List<Map<String, Object>> proxyRoutes) {
    this.values = values;
    this.proxyRoutes = proxyRoutes;
  }

  /**
   * Loads and validates the configuration.
   *
   * <p>Guarantee: the result is complete and consistent: a keyserver address, TLS unless
   * {@code keyserver.insecurePlaintext}, local listeners on loopback only (the local API has no
   * authentication of its own), bounded sizes and durations. An unknown YAML key or flag is an
   * error, never ignored.
   *
   * @param file the YAML file, if any ({@code --config} is resolved by the caller)
   * @param env the process environment (only the {@code KEYWARD_*} variables in the docs count)
   * @param args the remaining command-line flags, {@code --name value} or {@code --name=value}
   * @throws ConfigException naming the first bad setting, its value and where it came from
   */
  public static SidecarConfig load(Optional<Path> file, Map<String, String> env, List<String> args)
      throws ConfigException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(args, "args");
    Map<Setting, Raw> raw = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      raw.put(s, new Raw(s.defaultValue, "default"));
    }
    List<Map<String, Object>> proxy = List.of();
    if (file.isPresent()) {
      proxy = readFile(file.get(), raw);
    }
    for (Setting s : Setting.values()) {
      if (env.containsKey(s.env)) {
        raw.put(s, new Raw(env.get(s.env), "environment variable " + s.env));
      }
    }
    raw.putAll(parseFlags(args));
    return new SidecarConfig(validate(raw), proxy);
  }

  /** gRPC target of the keyserver, e.g. {@code keyward.keyward-system.svc:8443}. */
  public String keyserverAddress() {
    return (String) values.get(Setting.KEYSERVER_ADDRESS);
  }

  /** PEM file of the CA that signs the keyserver's certificate; empty: the JDK's trust store. */
  @SuppressWarnings("unchecked")
  public Optional<Path> keyserverCaFile() {
    return (Optional<Path>) values.get(Setting.KEYSERVER_CA_FILE);
  }

  /** Plaintext to the keyserver, for local development only. */
  public boolean keyserverInsecurePlaintext() {
    return (Boolean) values.get(Setting.KEYSERVER_INSECURE_PLAINTEXT);
  }

  public Duration keyserverCallDeadline() {
    return (Duration) values.get(Setting.KEYSERVER_CALL_DEADLINE);
  }

  /** The identity token (a JWT), re-read whenever the file changes. */
  public Path tokenFile() {
    return (Path) values.get(Setting.TOKEN_FILE);
  }

  public HostPort httpListen() {
    return (HostPort) values.get(Setting.HTTP_LISTEN);
  }

  public HostPort grpcListen() {
    return (HostPort) values.get(Setting.GRPC_LISTEN);
  }

  /**
   * An extra listener serving only {@code /healthz}, {@code /readyz} and {@code /metrics}, for
   * kubelet probes and scrapers that reach the pod IP; may be non-loopback. Empty: none.
   */
  @SuppressWarnings("unchecked")
  public Optional<HostPort> healthListen() {
    return (Optional<HostPort>) values.get(Setting.HEALTH_LISTEN);
  }

  @SuppressWarnings("unchecked")
  public Optional<Path> httpUnixSocket() {
    return (Optional<Path>) values.get(Setting.HTTP_UNIX_SOCKET);
  }

  @SuppressWarnings("unchecked")
  public Optional<Path> grpcUnixSocket() {
    return (Optional<Path>) values.get(Setting.GRPC_UNIX_SOCKET);
  }

  /** File mode of the Unix sockets: {@code 0600} (owner only) or {@code 0660} (owner and group). */
  public String unixSocketMode() {
    return (String) values.get(Setting.UNIX_SOCKET_MODE);
  }

  /** Key used when a request names none. */
  @SuppressWarnings("unchecked")
  public Optional<String> defaultKey() {
    return (Optional<String>) values.get(Setting.DEFAULT_KEY);
  }

  public long cacheMaxDataKeys() {
    return (Long) values.get(Setting.CACHE_MAX_DATA_KEYS);
  }

  public Duration cacheDataKeyMaxAge() {
    return (Duration) values.get(Setting.CACHE_DATA_KEY_MAX_AGE);
  }

  public long cacheDataKeyMaxMessages() {
    return (Long) values.get(Setting.CACHE_DATA_KEY_MAX_MESSAGES);
  }

  public long cacheDataKeyMaxBytes() {
    return (Long) values.get(Setting.CACHE_DATA_KEY_MAX_BYTES);
  }

  public Duration cacheDecryptKeyMaxAge() {
    return (Duration) values.get(Setting.CACHE_DECRYPT_KEY_MAX_AGE);
  }

  /** How long past its max-age a cached decryption key serves while the keyserver is down. */
  public Duration cacheDecryptGracePeriod() {
    return (Duration) values.get(Setting.CACHE_DECRYPT_GRACE_PERIOD);
  }

  /** Largest accepted request body in bytes. */
  public int maxBodyBytes() {
    return ((Long) values.get(Setting.MAX_BODY_BYTES)).intValue();
  }

  public int maxBatchItems() {
    return ((Long) values.get(Setting.MAX_BATCH_ITEMS)).intValue();
  }

  /** Threads that run requests whose data key is not cached (keyserver calls block them). */
  public int workerThreads() {
    return ((Long) values.get(Setting.WORKER_THREADS)).intValue();
  }

  /** Requests that may wait for a worker; beyond that they get 503 at once. */
  public int workerQueue() {
    return ((Long) values.get(Setting.WORKER_QUEUE)).intValue();
  }

  public Duration shutdownGracePeriod() {
    return (Duration) values.get(Setting.SHUTDOWN_GRACE_PERIOD);
  }

  /**
   * The {@code proxy:} list as plain, unmodifiable YAML values: each route a map whose values are
   * strings, numbers, booleans, lists or maps. Validated by the {@link ProxyRoutes} at start.
   */
  public List<Map<String, Object>> proxyRoutes() {
    return proxyRoutes;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("SidecarConfig[");
    for (Setting s : Setting.values()) {
      b.append(s.path).append('=').append(values.get(s)).append(", ");
    }
    return b.append("proxy=").append(proxyRoutes.size()).append(" routes]").toString();
  }

  // ---- reading -------------------------------------------------------------------------------

  private static List<Map<String, Object>> readFile(Path path, Map<Setting, Raw> raw)
      throws ConfigException {
    Object root;
    try {
      if (Files.size(path) > 1 << 20) {
        throw new ConfigException("config file " + path + " is larger than 1 MiB");
      }
      try (Reader in = utf8(path)) {
        root = ConfigYaml.read(in);
      }
    } catch (ConfigYaml.InvalidYaml e) {
      String where = e.line == 0 ? "" : " at line " + e.line;
      throw new ConfigException("config file " + path + " is not valid YAML" + where);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + path + ": " + e.getMessage(), e);
    }
    if (root == null) {
      return List.of();
    }
    if (!(root instanceof Map<?, ?> settings)) {
      throw new ConfigException("config file " + path + " must be a YAML mapping");
    }
    String origin = "config file " + path;
    List<Map<String, Object>> proxy = List.of();
    for (Map.Entry<?, ?> e : settings.entrySet()) {
      String key = (String) e.getKey();
      Object value = e.getValue();
      if (key.equals(Setting.PROXY_PATH)) {
        proxy = proxy(value, origin);
      } else if (Setting.isSection(key)) {
        if (!(value instanceof Map<?, ?> section)) {
          throw new ConfigException(key + " must be a mapping (" + origin + ")");
        }
        for (Map.Entry<?, ?> f : section.entrySet()) {
          put(raw, key + "." + f.getKey(), f.getValue(), origin);
        }
      } else {
        put(raw, key, value, origin);
      }
    }
    return proxy;
  }

  /** The file as UTF-8 text; a byte that is not UTF-8 stops the YAML reader (it wraps the error). */
  private static Reader utf8(Path path) throws IOException {
    return new InputStreamReader(new FileInputStream(path.toFile()),
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT));
  }

  private static void put(Map<Setting, Raw> raw, String path, Object value, String origin)
      throws ConfigException {
    Setting s = Setting.byPath(path);
    if (s == null) {
      throw new ConfigException("unknown setting '" + quote(path) + "' (" + origin + ")");
    }
    if (value instanceof Map || value instanceof List) {
      throw new ConfigException(path + " must be a single value (" + origin + ")");
    }
    raw.put(s, new Raw(value == null ? "" : value.toString(), origin));
  }

  private static List<Map<String, Object>> proxy(Object node, String origin)
      throws ConfigException {
    if (node == null) {
      return List.of();
    }
    if (!(node instanceof List<?> list)) {
      throw new ConfigException("proxy must be a list of routes (" + origin + ")");
    }
    List<Map<String, Object>> routes = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map)) {
        throw new ConfigException("proxy[" + i + "] must be a mapping (" + origin + ")");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> route = (Map<String, Object>) unmodifiable(list.get(i));
      routes.add(route);
    }
    return List.copyOf(routes);
  }

  /** The same YAML values, read-only all the way down (null: absent). */
  private static Object unmodifiable(Object n) {
    if (n instanceof Map<?, ?> map) {
      Map<Object, Object> m = new LinkedHashMap<>();
      map.forEach((k, v) -> m.put(k, unmodifiable(v)));
      return Collections.unmodifiableMap(m);
    }
    if (n instanceof List<?> list) {
      List<Object> l = new ArrayList<>();
      list.forEach(x -> l.add(unmodifiable(x)));
      return Collections.unmodifiableList(l);
    }
    return n;
  }

  private static Map<Setting, Raw> parseFlags(List<String> args) throws ConfigException {
    Map<Setting, Raw> values = new EnumMap<>(Setting.class);
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new ConfigException("unexpected argument '" + quote(arg)
            + "'; flags look like --name value or --name=value");
      }
      int eq = arg.indexOf('=');
      String name = eq > 0 ? arg.substring(0, eq) : arg;
      Setting setting = Setting.byFlag(name);
      if (setting == null) {
        throw new ConfigException("unknown flag '" + quote(name) + "'");
      }
      String value;
      if (eq > 0) {
        value = arg.substring(eq + 1);
      } else if (setting.isBoolean()) {
        boolean explicit = i + 1 < args.size()
            && (args.get(i + 1).equals("true") || args.get(i + 1).equals("false"));
        value = explicit ? args.get(++i) : "true";
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        throw new ConfigException("flag " + name + " needs a value");
      }
      if (values.put(setting, new Raw(value, "flag " + name)) != null) {
        throw new ConfigException("flag " + name + " is given more than once");
      }
    }
    return values;
  }

  // ---- validation ----------------------------------------------------------------------------

  private static Map<Setting, Object> validate(Map<Setting, Raw> raw) throws ConfigException {
    Map<Setting, Object> v = new EnumMap<>(Setting.class);
    Raw address = raw.get(Setting.KEYSERVER_ADDRESS);
    if (address.text().isBlank()) {
      throw new ConfigException("keyserver.address is required (or KEYWARD_KEYSERVER, or flag"
          + " --keyserver), e.g. keyward.keyward-system.svc:8443");
    }
    v.put(Setting.KEYSERVER_ADDRESS, address.text().strip());
    boolean plaintext = bool(Setting.KEYSERVER_INSECURE_PLAINTEXT, raw);
    v.put(Setting.KEYSERVER_INSECURE_PLAINTEXT, plaintext);
    Optional<Path> ca = optionalPath(Setting.KEYSERVER_CA_FILE, raw);
    if (plaintext && ca.isPresent()) {
      throw new ConfigException("keyserver.insecurePlaintext ("
          + raw.get(Setting.KEYSERVER_INSECURE_PLAINTEXT).origin() + ") turns TLS off, but"
          + " keyserver.caFile is set (" + raw.get(Setting.KEYSERVER_CA_FILE).origin()
          + "); set one or the other");
    }
    if (ca.isPresent() && !Files.isReadable(ca.get())) {
      throw invalid(Setting.KEYSERVER_CA_FILE, "must be a readable PEM file", raw);
    }
    v.put(Setting.KEYSERVER_CA_FILE, ca);
    v.put(Setting.KEYSERVER_CALL_DEADLINE, duration(Setting.KEYSERVER_CALL_DEADLINE, raw,
        Duration.ofMillis(100), Duration.ofMinutes(5)));
    v.put(Setting.TOKEN_FILE, optionalPath(Setting.TOKEN_FILE, raw).orElseThrow(
        () -> new ConfigException("tokenFile must not be empty (" + raw.get(Setting.TOKEN_FILE)
            .origin() + ")")));
    HostPort http = loopback(Setting.HTTP_LISTEN, raw);
    HostPort grpc = loopback(Setting.GRPC_LISTEN, raw);
    if (http.port() != 0 && http.port() == grpc.port()) {
      throw invalid(Setting.GRPC_LISTEN, "must use another port than listen.http (" + http + ")",
          raw);
    }
    v.put(Setting.HTTP_LISTEN, http);
    v.put(Setting.GRPC_LISTEN, grpc);
    Optional<HostPort> health = Optional.empty();
    if (!raw.get(Setting.HEALTH_LISTEN).text().isBlank()) {
      health = Optional.of(hostPort(Setting.HEALTH_LISTEN, raw));
    }
    v.put(Setting.HEALTH_LISTEN, health);
    Optional<Path> httpSocket = optionalPath(Setting.HTTP_UNIX_SOCKET, raw);
    Optional<Path> grpcSocket = optionalPath(Setting.GRPC_UNIX_SOCKET, raw);
    if (httpSocket.isPresent() && httpSocket.equals(grpcSocket)) {
      throw invalid(Setting.GRPC_UNIX_SOCKET, "must differ from listen.httpUnixSocket", raw);
    }
    v.put(Setting.HTTP_UNIX_SOCKET, httpSocket);
    v.put(Setting.GRPC_UNIX_SOCKET, grpcSocket);
    String mode = raw.get(Setting.UNIX_SOCKET_MODE).text().strip();
    if (!mode.equals("0600") && !mode.equals("0660")) {
      throw invalid(Setting.UNIX_SOCKET_MODE, "must be 0600 or 0660", raw);
    }
    v.put(Setting.UNIX_SOCKET_MODE, mode);
    String defaultKey = raw.get(Setting.DEFAULT_KEY).text().strip();
    if (!defaultKey.isEmpty()) {
      try {
        Header.keyNameBytes(defaultKey);
      } catch (IllegalArgumentException e) {
        throw invalid(Setting.DEFAULT_KEY, e.getMessage(), raw);
      }
    }
    v.put(Setting.DEFAULT_KEY, defaultKey.isEmpty() ? Optional.empty() : Optional.of(defaultKey));
    v.put(Setting.CACHE_MAX_DATA_KEYS, number(Setting.CACHE_MAX_DATA_KEYS, raw, 1, 1_000_000));
    v.put(Setting.CACHE_DATA_KEY_MAX_AGE,
        duration(Setting.CACHE_DATA_KEY_MAX_AGE, raw, Duration.ofSeconds(1), MAX_AGE));
    v.put(Setting.CACHE_DATA_KEY_MAX_MESSAGES,
        number(Setting.CACHE_DATA_KEY_MAX_MESSAGES, raw, 1, 1L << 32));
    v.put(Setting.CACHE_DATA_KEY_MAX_BYTES,
        number(Setting.CACHE_DATA_KEY_MAX_BYTES, raw, 1, 1L << 40));
    v.put(Setting.CACHE_DECRYPT_KEY_MAX_AGE,
        duration(Setting.CACHE_DECRYPT_KEY_MAX_AGE, raw, Duration.ofSeconds(1), MAX_AGE));
    v.put(Setting.CACHE_DECRYPT_GRACE_PERIOD,
        duration(Setting.CACHE_DECRYPT_GRACE_PERIOD, raw, Duration.ZERO, MAX_AGE));
    v.put(Setting.MAX_BODY_BYTES, number(Setting.MAX_BODY_BYTES, raw, 1024, 64L << 20));
    v.put(Setting.MAX_BATCH_ITEMS, number(Setting.MAX_BATCH_ITEMS, raw, 1, 100_000));
    v.put(Setting.WORKER_THREADS, number(Setting.WORKER_THREADS, raw, 1, 256));
    v.put(Setting.WORKER_QUEUE, number(Setting.WORKER_QUEUE, raw, 1, 1_000_000));
    v.put(Setting.SHUTDOWN_GRACE_PERIOD,
        duration(Setting.SHUTDOWN_GRACE_PERIOD, raw, Duration.ZERO, Duration.ofMinutes(10)));
    return Collections.unmodifiableMap(v);
  }

  /** The SDK settings this configuration implies (token from {@link #tokenFile()}). */
  KeywardSettings.Builder sdkSettings() {
    KeywardSettings.Builder b = KeywardSettings.builder()
        .keyserverAddress(keyserverAddress())
        .callDeadline(keyserverCallDeadline())
        .maxCachedDataKeys(cacheMaxDataKeys())
        .dataKeyMaxAge(cacheDataKeyMaxAge())
        .dataKeyMaxMessages(cacheDataKeyMaxMessages())
        .dataKeyMaxBytes(cacheDataKeyMaxBytes())
        .decryptKeyMaxAge(cacheDecryptKeyMaxAge())
        .decryptGracePeriod(cacheDecryptGracePeriod());
    defaultKey().ifPresent(b::defaultKeyName);
    if (keyserverInsecurePlaintext()) {
      b.insecurePlaintextForDevelopment();
    }
    keyserverCaFile().ifPresent(b::trustedCaFile);
    return b;
  }

  private static boolean bool(Setting s, Map<Setting, Raw> raw) throws ConfigException {
    String t = raw.get(s).text().strip().toLowerCase(Locale.ROOT);
    if (t.equals("true") || t.equals("false")) {
      return t.equals("true");
    }
    throw invalid(s, "must be true or false", raw);
  }

  private static Optional<Path> optionalPath(Setting s, Map<Setting, Raw> raw)
      throws ConfigException {
    String t = raw.get(s).text().strip();
    if (t.isEmpty()) {
      return Optional.empty();
    }
    if (t.indexOf('\0') >= 0) {
      throw invalid(s, "must be a file path", raw);
    }
    return Optional.of(Path.of(t));
  }

  private static long number(Setting s, Map<Setting, Raw> raw, long min, long max)
      throws ConfigException {
    try {
      long n = Long.parseLong(raw.get(s).text().strip().replace("_", ""));
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(s, "must be a whole number from " + min + " to " + max, raw);
  }

  private static Duration duration(Setting s, Map<Setting, Raw> raw, Duration min, Duration max)
      throws ConfigException {
    String t = raw.get(s).text().strip();
    Duration d = null;
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    } else if (t.startsWith("P") || t.startsWith("p")) {
      try {
        d = Duration.parse(t);
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    if (d == null) {
      throw invalid(s, "must be a duration such as 500ms, 30s, 5m, 1h, 1d", raw);
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw invalid(s, "must be between " + min + " and " + max, raw);
    }
    return d;
  }

  private static HostPort hostPort(Setting s, Map<Setting, Raw> raw) throws ConfigException {
    Matcher m = HOST_PORT.matcher(raw.get(s).text().strip());
    if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
      throw invalid(s, "must be host:port (port 0..65535; 0 picks a free port)", raw);
    }
    return new HostPort(m.group(1), Integer.parseInt(m.group(2)));
  }

  /** The local API has no authentication of its own: it must not leave the pod. */
  private static HostPort loopback(Setting s, Map<Setting, Raw> raw) throws ConfigException {
    HostPort hp = hostPort(s, raw);
    String host = hp.host().startsWith("[")
        ? hp.host().substring(1, hp.host().length() - 1) : hp.host();
    boolean ok;
    try {
      ok = host.equals("localhost") || InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      ok = false;
    }
    if (!ok) {
      throw invalid(s, "must be a loopback address (127.0.0.1, [::1] or localhost): the local"
          + " API has no authentication of its own", raw);
    }
    return hp;
  }

  static ConfigException invalid(Setting s, String rule, Map<Setting, Raw> raw) {
    Raw r = raw.get(s);
    return new ConfigException(
        s.path + " " + rule + ", got '" + quote(r.text()) + "' (" + r.origin() + ")");
  }

  /** Quotes a value for a message: at most 100 characters, control characters escaped. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 100; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : c);
    }
    return s.length() > 100 ? b + "..." : b.toString();
  }

  /** A setting's value as text, with where it came from, for error messages. */
  record Raw(String text, String origin) {}
}
