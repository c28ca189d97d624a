package io.keyward.keyserver.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The keyserver's validated, immutable configuration. Each setting comes from, in order of
 * precedence: a command-line flag, an environment variable, the YAML file, the built-in default.
 * Every key, default, variable and flag is listed in {@code docs/configuration.md}.
 *
 * <p>The configuration holds no secret: a root-key passphrase is referenced by the name of an
 * environment variable or by a file path, and is read by the root-key provider, not here.
 */
public final class ServerConfig {
  static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);
  static final Duration MIN_JWKS_REFRESH = Duration.ofSeconds(1);
  static final Duration MAX_JWKS_REFRESH = Duration.ofHours(1);
  static final Duration MIN_MAINTENANCE_INTERVAL = Duration.ofSeconds(1);
  static final Duration MAX_MAINTENANCE_INTERVAL = Duration.ofHours(24);
  static final Duration MAX_SHUTDOWN_GRACE = Duration.ofMinutes(10);
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final Pattern AUDIENCE = Pattern.compile("[\\x21-\\x7e]{1,256}");

  /** A listening address. {@code host} may be a name, an IPv4 address or {@code [ipv6]}. */
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

  /** Server TLS; with {@code clientCaFile} clients must present a certificate it signed. */
  public record Tls(Path certFile, Path keyFile, Optional<Path> clientCaFile) {
    public Tls {
      Objects.requireNonNull(certFile, "certFile");
      Objects.requireNonNull(keyFile, "keyFile");
      Objects.requireNonNull(clientCaFile, "clientCaFile");
    }
  }

  /** Where the root key comes from; exactly one source. */
  public sealed interface RootKeySource permits KeyFile, PassphraseEnv, PassphraseFile, Pkcs11Key {}

  /** A root key file (created when missing only if {@link RootKeyConfig#createIfMissing()}). */
  public record KeyFile(Path path) implements RootKeySource {
    public KeyFile {
      Objects.requireNonNull(path, "path");
    }
  }

  /** A passphrase held in the named environment variable (the name, never the value). */
  public record PassphraseEnv(String variable) implements RootKeySource {
    public PassphraseEnv {
      Objects.requireNonNull(variable, "variable");
    }
  }

  /** A passphrase held in a file. */
  public record PassphraseFile(Path path) implements RootKeySource {
    public PassphraseFile {
      Objects.requireNonNull(path, "path");
    }
  }

  /**
   * An AES key on a PKCS#11 token (HSM): the SunPKCS11 configuration file, the key's label, and
   * the name (never the value) of the environment variable holding the user PIN.
   */
  public record Pkcs11Key(Path sunPkcs11Config, String keyLabel, String pinVariable)
      implements RootKeySource {
    public Pkcs11Key {
      Objects.requireNonNull(sunPkcs11Config, "sunPkcs11Config");
      Objects.requireNonNull(keyLabel, "keyLabel");
      Objects.requireNonNull(pinVariable, "pinVariable");
    }
  }

  /**
   * {@code createIfMissing} is true only with a {@link KeyFile} source (development). {@code
   * previous} is the retiring root key around a root-key rotation (any kind of source): the server
   * then holds both keys and wraps new versions under whichever the store is under.
   */
  public record RootKeyConfig(
      RootKeySource source, boolean createIfMissing, Optional<RootKeySource> previous) {
    public RootKeyConfig {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(previous, "previous");
    }

    public RootKeyConfig(RootKeySource source, boolean createIfMissing) {
      this(source, createIfMissing, Optional.empty());
    }
  }

  /** Where an issuer's signing keys come from. */
  public sealed interface JwksSource permits JwksFile, JwksUrl, Discovery {}

  /** A local JWKS document, re-read when it changes. */
  public record JwksFile(Path path) implements JwksSource {
    public JwksFile {
      Objects.requireNonNull(path, "path");
    }
  }

  /** An HTTPS JWKS endpoint. */
  public record JwksUrl(URI url) implements JwksSource {
    public JwksUrl {
      Objects.requireNonNull(url, "url");
    }
  }

  /** OIDC discovery: {@code <issuer>/.well-known/openid-configuration} names the JWKS URL. */
  public record Discovery() implements JwksSource {}

  /** A trusted token issuer; {@code caFile} (PEM) verifies its HTTPS endpoint when set. */
  public record IssuerConfig(String issuer, JwksSource jwks, Optional<Path> caFile) {
    public IssuerConfig {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(jwks, "jwks");
      Objects.requireNonNull(caFile, "caFile");
    }
  }

  /** How callers' tokens are verified. {@code issuers} is non-empty and unmodifiable. */
  public record Identity(
      String audience,
      Duration clockSkew,
      Duration jwksRefreshMinInterval,
      List<IssuerConfig> issuers) {
    public Identity {
      Objects.requireNonNull(audience, "audience");
      Objects.requireNonNull(clockSkew, "clockSkew");
      Objects.requireNonNull(jwksRefreshMinInterval, "jwksRefreshMinInterval");
      issuers = List.copyOf(issuers);
    }
  }

  /** Key lifecycle timing. */
  public record Keys(
      Duration destroyMinWaitingPeriod,
      Duration destroyDefaultWaitingPeriod,
      Duration maintenanceInterval) {
    public Keys {
      Objects.requireNonNull(destroyMinWaitingPeriod, "destroyMinWaitingPeriod");
      Objects.requireNonNull(destroyDefaultWaitingPeriod, "destroyDefaultWaitingPeriod");
      Objects.requireNonNull(maintenanceInterval, "maintenanceInterval");
    }
  }

  private final HostPort listen;
  private final Optional<HostPort> metricsListen;
  private final Optional<Tls> tls;
  private final boolean insecureDev;
  private final String store;
  private final RootKeyConfig rootKey;
  private final Identity identity;
  private final Optional<Path> policyFile;
  private final Keys keys;
  private final Duration shutdownGracePeriod;

  private ServerConfig(Builder b) {
    this.listen = b.listen;
    this.metricsListen = b.metricsListen;
    this.tls = b.tls;
    this.insecureDev = b.insecureDev;
    this.store = b.store;
    this.rootKey = b.rootKey;
    this.identity = b.identity;
    this.policyFile = b.policyFile;
    this.keys = b.keys;
    this.shutdownGracePeriod = b.shutdownGracePeriod;
  }

  /**
   * Loads and validates the configuration.
   *
   * <p>Guarantee: the result is complete and consistent (TLS unless {@code insecureDev}, exactly
   * one root-key source, at least one issuer with exactly one JWKS source, bounded durations); an
   * unknown YAML key or flag is an error, never ignored. A root-key passphrase variable must be set
   * in {@code env}, but its value is not read into the configuration.
   *
   * @param file the YAML file, if any ({@code --config} is resolved by the caller)
   * @param env the process environment (only {@code KEYWARD_*} variables listed in the docs, and
   *     the passphrase variable's presence, are consulted)
   * @param args the remaining command-line flags, {@code --name value} or {@code --name=value}
   * @throws ConfigException naming the first bad setting, its value and where it came from
   */
  public static ServerConfig load(Optional<Path> file, Map<String, String> env, List<String> args)
      throws ConfigException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(args, "args");
    ConfigFile fromFile = file.isPresent() ? ConfigFile.read(file.get()) : null;
    return build(fromFile, env, args);
  }

  private static ServerConfig build(ConfigFile file, Map<String, String> env, List<String> args)
      throws ConfigException {
    Map<Setting, Raw> raw = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      raw.put(s, new Raw(s.defaultValue, "default"));
    }
    if (file != null) {
      raw.putAll(file.values);
    }
    for (Setting s : Setting.values()) {
      if (s.env != null && env.containsKey(s.env)) {
        raw.put(s, new Raw(env.get(s.env), "environment variable " + s.env));
      }
    }
    raw.putAll(Flags.parse(args));
    return new Builder(raw, env, file).build();
  }

  /** The gRPC listening address. */
  public HostPort listen() {
    return listen;
  }

  /** The Prometheus {@code /metrics} address; empty when metrics are disabled. */
  public Optional<HostPort> metricsListen() {
    return metricsListen;
  }

  /** Present unless {@link #insecureDev()}. */
  public Optional<Tls> tls() {
    return tls;
  }

  /** Plaintext gRPC for local development; never together with TLS. */
  public boolean insecureDev() {
    return insecureDev;
  }

  /** The store location: {@code sqlite:PATH} or a PostgreSQL URL without credentials in it. */
  public String store() {
    return store;
  }

  public RootKeyConfig rootKey() {
    return rootKey;
  }

  public Identity identity() {
    return identity;
  }

  /** A policy document that seeds the store when it holds no policy yet. */
  public Optional<Path> policyFile() {
    return policyFile;
  }

  public Keys keys() {
    return keys;
  }

  /** How long a shutdown waits for in-flight calls before cancelling them. */
  public Duration shutdownGracePeriod() {
    return shutdownGracePeriod;
  }

  @Override
  public String toString() {
    return "ServerConfig[listen=" + listen
        + ", metricsListen=" + metricsListen.map(HostPort::toString).orElse("disabled")
        + ", tls=" + tls.map(Tls::toString).orElse("none (insecureDev)")
        + ", store=" + store
        + ", rootKey=" + rootKey
        + ", identity=" + identity
        + ", policyFile=" + policyFile.map(Path::toString).orElse("none")
        + ", keys=" + keys
        + ", shutdownGracePeriod=" + shutdownGracePeriod + "]";
  }

  /** Turns raw values into typed, cross-checked settings. */
  private static final class Builder {
    private final Map<Setting, Raw> raw;
    private final Map<String, String> env;
    private final ConfigFile file;

    HostPort listen;
    Optional<HostPort> metricsListen;
    Optional<Tls> tls;
    boolean insecureDev;
    String store;
    RootKeyConfig rootKey;
    Identity identity;
    Optional<Path> policyFile;
    Keys keys;
    Duration shutdownGracePeriod;

    Builder(Map<Setting, Raw> raw, Map<String, String> env, ConfigFile file) {
      this.raw = raw;
      this.env = env;
      this.file = file;
    }

    ServerConfig build() throws ConfigException {
      listen = Values.hostPort(Setting.LISTEN, raw(Setting.LISTEN));
      metricsListen = Optional.empty();
      if (!raw(Setting.METRICS_LISTEN).text().isBlank()) {
        HostPort metrics = Values.hostPort(Setting.METRICS_LISTEN, raw(Setting.METRICS_LISTEN));
        if (metrics.port() != 0 && metrics.port() == listen.port()) {
          throw Values.invalid(Setting.METRICS_LISTEN,
              "must use another port than listen (" + listen + ")", raw(Setting.METRICS_LISTEN));
        }
        metricsListen = Optional.of(metrics);
      }
      insecureDev = Values.bool(Setting.INSECURE_DEV, raw(Setting.INSECURE_DEV));
      tls = tls();
      store = store();
      rootKey = rootKey();
      identity = identity();
      policyFile = Values.optionalPath(Setting.POLICY_FILE, raw(Setting.POLICY_FILE));
      keys = keys();
      shutdownGracePeriod =
          bounded(Setting.SHUTDOWN_GRACE_PERIOD, Duration.ZERO, MAX_SHUTDOWN_GRACE);
      return new ServerConfig(this);
    }

    private Raw raw(Setting s) {
      return raw.get(s);
    }

    private Optional<Tls> tls() throws ConfigException {
      Optional<Path> cert = Values.optionalPath(Setting.TLS_CERT_FILE, raw(Setting.TLS_CERT_FILE));
      Optional<Path> key = Values.optionalPath(Setting.TLS_KEY_FILE, raw(Setting.TLS_KEY_FILE));
      Optional<Path> clientCa =
          Values.optionalPath(Setting.TLS_CLIENT_CA_FILE, raw(Setting.TLS_CLIENT_CA_FILE));
      if (cert.isPresent() != key.isPresent()) {
        Setting missing = cert.isPresent() ? Setting.TLS_KEY_FILE : Setting.TLS_CERT_FILE;
        Setting given = cert.isPresent() ? Setting.TLS_CERT_FILE : Setting.TLS_KEY_FILE;
        throw new ConfigException(missing.path + " must be set when " + given.path + " is ("
            + raw(given).origin() + ")");
      }
      if (insecureDev) {
        if (cert.isPresent() || clientCa.isPresent()) {
          Setting set = cert.isPresent() ? Setting.TLS_CERT_FILE : Setting.TLS_CLIENT_CA_FILE;
          throw new ConfigException("insecureDev (" + raw(Setting.INSECURE_DEV).origin()
              + ") turns TLS off, but " + set.path + " is set (" + raw(set).origin()
              + "); set one or the other");
        }
        return Optional.empty();
      }
      if (cert.isEmpty()) {
        if (clientCa.isPresent()) {
          throw new ConfigException(Setting.TLS_CLIENT_CA_FILE.path
              + " needs tls.certFile and tls.keyFile (" + raw(Setting.TLS_CLIENT_CA_FILE).origin()
              + ")");
        }
        throw new ConfigException(
            "TLS is required: set tls.certFile and tls.keyFile (or KEYWARD_TLS_CERT_FILE and"
                + " KEYWARD_TLS_KEY_FILE), or set insecureDev: true for local development only");
      }
      return Optional.of(new Tls(cert.get(), key.get(), clientCa));
    }

    private String store() throws ConfigException {
      Raw r = raw(Setting.STORE);
      String text = r.text().trim();
      String lower = text.toLowerCase(Locale.ROOT);
      if (lower.startsWith("sqlite:") && text.length() > "sqlite:".length()) {
        return text;
      }
      boolean postgres = lower.startsWith("postgresql://") || lower.startsWith("jdbc:postgresql://");
      if (!postgres) {
        throw Values.invalid(Setting.STORE, "must be sqlite:PATH or postgresql://HOST/DB", r);
      }
      int authorityStart = text.indexOf("://") + 3;
      int at = text.indexOf('@', authorityStart);
      int slash = text.indexOf('/', authorityStart);
      boolean userInfoPassword =
          at > 0 && (slash < 0 || at < slash) && text.substring(authorityStart, at).contains(":");
      if (userInfoPassword || lower.contains("password=")) {
        // Do not quote the value: it holds a password.
        throw new ConfigException("store must not contain a password (" + r.origin()
            + "); give the database password through the driver's own file or variable");
      }
      return text;
    }

    /** The settings that name one root key: the current one, or the previous one. */
    private record RootKeySettings(
        String what, String choices, Setting file, Setting passphraseEnv, Setting passphraseFile,
        Setting pkcs11Config, Setting pkcs11KeyLabel, Setting pkcs11PinEnv) {}

    private static final RootKeySettings CURRENT = new RootKeySettings("rootKey",
        "file, passphraseEnv, passphraseFile, pkcs11Config", Setting.ROOT_KEY_FILE,
        Setting.ROOT_KEY_PASSPHRASE_ENV, Setting.ROOT_KEY_PASSPHRASE_FILE,
        Setting.ROOT_KEY_PKCS11_CONFIG, Setting.ROOT_KEY_PKCS11_KEY_LABEL,
        Setting.ROOT_KEY_PKCS11_PIN_ENV);
    private static final RootKeySettings PREVIOUS = new RootKeySettings("the previous root key",
        "previousFile, previousPassphraseEnv, previousPassphraseFile, previousPkcs11Config",
        Setting.ROOT_KEY_PREVIOUS_FILE, Setting.ROOT_KEY_PREVIOUS_PASSPHRASE_ENV,
        Setting.ROOT_KEY_PREVIOUS_PASSPHRASE_FILE, Setting.ROOT_KEY_PREVIOUS_PKCS11_CONFIG,
        Setting.ROOT_KEY_PREVIOUS_PKCS11_KEY_LABEL, Setting.ROOT_KEY_PREVIOUS_PKCS11_PIN_ENV);

    private RootKeyConfig rootKey() throws ConfigException {
      RootKeySource current = rootKeySource(CURRENT).orElseThrow(() -> new ConfigException(
          CURRENT.what() + " needs exactly one of " + CURRENT.choices() + "; none is set"));
      boolean create =
          Values.bool(Setting.ROOT_KEY_CREATE_IF_MISSING, raw(Setting.ROOT_KEY_CREATE_IF_MISSING));
      if (create && !(current instanceof KeyFile)) {
        throw new ConfigException("rootKey.createIfMissing ("
            + raw(Setting.ROOT_KEY_CREATE_IF_MISSING).origin() + ") works only with rootKey.file");
      }
      Optional<RootKeySource> previous = rootKeySource(PREVIOUS);
      if (previous.isPresent() && previous.get().equals(current)) {
        throw new ConfigException("the previous root key is configured exactly like the current one");
      }
      return new RootKeyConfig(current, create, previous);
    }

    /** The one source {@code keys} names, or empty when none is set; more than one is an error. */
    private Optional<RootKeySource> rootKeySource(RootKeySettings keys) throws ConfigException {
      List<Setting> set = new ArrayList<>();
      for (Setting s : List.of(keys.file(), keys.passphraseEnv(), keys.passphraseFile(),
          keys.pkcs11Config())) {
        if (!raw(s).text().isBlank()) {
          set.add(s);
        }
      }
      if (set.isEmpty()) {
        return Optional.empty();
      }
      if (set.size() > 1) {
        StringBuilder which = new StringBuilder();
        for (Setting s : set) {
          which.append(which.length() == 0 ? "" : " and ").append(s.path)
              .append(" (").append(raw(s).origin()).append(")");
        }
        throw new ConfigException(
            keys.what() + " needs exactly one of " + keys.choices() + "; got " + which);
      }
      Setting source = set.get(0);
      Raw r = raw(source);
      if (source == keys.file()) {
        return Optional.of(new KeyFile(Values.optionalPath(source, r).orElseThrow()));
      }
      if (source == keys.passphraseFile()) {
        return Optional.of(new PassphraseFile(Values.optionalPath(source, r).orElseThrow()));
      }
      if (source == keys.pkcs11Config()) {
        String pinName = environmentName(keys.pkcs11PinEnv(), raw(keys.pkcs11PinEnv()),
            "must name the environment variable holding the token PIN");
        String label = raw(keys.pkcs11KeyLabel()).text().trim();
        if (label.isEmpty()) {
          throw new ConfigException(keys.pkcs11KeyLabel().path + " must not be empty");
        }
        return Optional.of(
            new Pkcs11Key(Values.optionalPath(source, r).orElseThrow(), label, pinName));
      }
      return Optional.of(new PassphraseEnv(
          environmentName(source, r, "must be an environment variable name")));
    }

    /** A valid environment variable name that is set and not empty. */
    private String environmentName(Setting setting, Raw r, String problem) throws ConfigException {
      String name = r.text().trim();
      if (!ENV_NAME.matcher(name).matches()) {
        throw Values.invalid(setting, problem, r);
      }
      String value = env.get(name);
      if (value == null || value.isEmpty()) {
        throw new ConfigException(setting.path + " names environment variable '" + name
            + "' (" + r.origin() + "), which is not set or empty");
      }
      return name;
    }

    private Identity identity() throws ConfigException {
      Raw audienceRaw = raw(Setting.AUDIENCE);
      String audience = audienceRaw.text().trim();
      if (!AUDIENCE.matcher(audience).matches()) {
        throw Values.invalid(Setting.AUDIENCE,
            "must be 1 to 256 printable characters without spaces", audienceRaw);
      }
      Duration skew = bounded(Setting.CLOCK_SKEW, Duration.ZERO, MAX_CLOCK_SKEW);
      Duration refresh =
          bounded(Setting.JWKS_REFRESH_MIN_INTERVAL, MIN_JWKS_REFRESH, MAX_JWKS_REFRESH);
      if (file == null || file.issuers == null || file.issuers.isEmpty()) {
        String where = file != null && file.issuersOrigin != null ? " (" + file.issuersOrigin + ")" : "";
        throw new ConfigException(
            Setting.ISSUERS_PATH + " must list at least one token issuer" + where);
      }
      List<IssuerConfig> issuers = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < file.issuers.size(); i++) {
        IssuerConfig issuer = issuer(i, file.issuers.get(i));
        if (!seen.add(issuer.issuer())) {
          throw new ConfigException(Setting.ISSUERS_PATH + "[" + i + "].issuer '"
              + Values.quote(issuer.issuer()) + "' is listed twice (" + file.issuers.get(i).origin()
              + ")");
        }
        issuers.add(issuer);
      }
      return new Identity(audience, skew, refresh, issuers);
    }

    private static IssuerConfig issuer(int index, ConfigFile.IssuerEntry entry)
        throws ConfigException {
      String prefix = Setting.ISSUERS_PATH + "[" + index + "]";
      Map<String, Raw> f = entry.fields();
      Raw issuerRaw = f.get("issuer");
      if (issuerRaw == null || issuerRaw.text().isBlank()) {
        throw new ConfigException(prefix + ".issuer is required (" + entry.origin() + ")");
      }
      String issuer = issuerRaw.text().trim();
      List<String> sources = new ArrayList<>();
      Optional<Path> jwksFile = Optional.empty();
      if (f.containsKey("jwksFile")) {
        jwksFile = Values.optionalPath(prefix + ".jwksFile", f.get("jwksFile"));
        jwksFile.ifPresent(p -> sources.add("jwksFile"));
      }
      URI jwksUrl = null;
      if (f.containsKey("jwksUrl") && !f.get("jwksUrl").text().isBlank()) {
        jwksUrl = httpsUri(prefix + ".jwksUrl", f.get("jwksUrl"));
        sources.add("jwksUrl");
      }
      boolean discovery = false;
      if (f.containsKey("discovery")) {
        Raw d = f.get("discovery");
        String text = d.text().trim().toLowerCase(Locale.ROOT);
        if (!text.equals("true") && !text.equals("false")) {
          throw Values.invalid(prefix + ".discovery", "must be true or false", d);
        }
        discovery = text.equals("true");
        if (discovery) {
          httpsUri(prefix + ".issuer", issuerRaw); // discovery fetches from the issuer URL
          sources.add("discovery");
        }
      }
      if (sources.size() != 1) {
        throw new ConfigException(prefix + " needs exactly one of jwksFile, jwksUrl,"
            + " discovery: true; " + (sources.isEmpty() ? "none is set" : "got " + sources)
            + " (" + entry.origin() + ")");
      }
      Optional<Path> caFile = f.containsKey("caFile")
          ? Values.optionalPath(prefix + ".caFile", f.get("caFile"))
          : Optional.empty();
      if (caFile.isPresent() && jwksFile.isPresent()) {
        throw new ConfigException(prefix + ".caFile is for HTTPS (jwksUrl or discovery), not"
            + " jwksFile (" + f.get("caFile").origin() + ")");
      }
      JwksSource source = jwksFile.isPresent()
          ? new JwksFile(jwksFile.get())
          : jwksUrl != null ? new JwksUrl(jwksUrl) : new Discovery();
      return new IssuerConfig(issuer, source, caFile);
    }

    private static URI httpsUri(String name, Raw r) throws ConfigException {
      try {
        URI uri = new URI(r.text().trim());
        if ("https".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null
            && uri.getRawUserInfo() == null) {
          return uri;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      throw Values.invalid(name, "must be an https:// URL", r);
    }

    private Keys keys() throws ConfigException {
      Duration min = bounded(Setting.DESTROY_MIN_WAITING_PERIOD, Duration.ZERO, null);
      Duration def = bounded(Setting.DESTROY_DEFAULT_WAITING_PERIOD, Duration.ZERO, null);
      if (def.compareTo(min) < 0) {
        throw Values.invalid(Setting.DESTROY_DEFAULT_WAITING_PERIOD,
            "must not be shorter than keys.destroyMinWaitingPeriod (" + min + ")",
            raw(Setting.DESTROY_DEFAULT_WAITING_PERIOD));
      }
      Duration maintenance = bounded(
          Setting.MAINTENANCE_INTERVAL, MIN_MAINTENANCE_INTERVAL, MAX_MAINTENANCE_INTERVAL);
      return new Keys(min, def, maintenance);
    }

    /** Parses a duration and checks {@code min <= d <= max} ({@code max} null: no upper bound). */
    private Duration bounded(Setting s, Duration min, Duration max) throws ConfigException {
      Duration d = Values.duration(s, raw(s));
      if (d.compareTo(min) < 0 || (max != null && d.compareTo(max) > 0)) {
        String range = max == null
            ? "must be at least " + human(min)
            : "must be between " + human(min) + " and " + human(max);
        throw Values.invalid(s, range, raw(s));
      }
      return d;
    }

    private static String human(Duration d) {
      if (d.isZero()) {
        return "0s";
      }
      if (d.toSeconds() % 3600 == 0) {
        return d.toHours() + "h";
      }
      if (d.toSeconds() % 60 == 0) {
        return d.toMinutes() + "m";
      }
      return d.toSeconds() + "s";
    }
  }
}
