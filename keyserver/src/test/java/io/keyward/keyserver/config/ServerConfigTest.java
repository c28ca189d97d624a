package io.keyward.keyserver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.config.ServerConfig.Discovery;
import io.keyward.keyserver.config.ServerConfig.HostPort;
import io.keyward.keyserver.config.ServerConfig.IssuerConfig;
import io.keyward.keyserver.config.ServerConfig.JwksFile;
import io.keyward.keyserver.config.ServerConfig.JwksUrl;
import io.keyward.keyserver.config.ServerConfig.KeyFile;
import io.keyward.keyserver.config.ServerConfig.PassphraseEnv;
import io.keyward.keyserver.config.ServerConfig.PassphraseFile;
import io.keyward.keyserver.config.ServerConfig.RootKeyConfig;
import io.keyward.keyserver.config.ServerConfig.Tls;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  @TempDir Path dir;

  static final String FULL =
      "listen: 127.0.0.1:9443\n"
          + "metricsListen: \"\"\n"
          + "tls:\n"
          + "  certFile: /etc/keyward/tls/tls.crt\n"
          + "  keyFile: /etc/keyward/tls/tls.key\n"
          + "  clientCaFile: /etc/keyward/tls/ca.crt\n"
          + "insecureDev: false\n"
          + "store: sqlite:/var/lib/keyward/test.db\n"
          + "rootKey:\n"
          + "  file: /etc/keyward/root.key\n"
          + "  createIfMissing: true\n"
          + "  passphraseEnv: \"\"\n"
          + "  passphraseFile:\n"
          + "identity:\n"
          + "  audience: keyward-prod\n"
          + "  clockSkew: 10s\n"
          + "  jwksRefreshMinInterval: PT1M\n"
          + "  issuers:\n"
          + "    - issuer: https://kubernetes.default.svc.cluster.local\n"
          + "      jwksFile: /etc/keyward/jwks.json\n"
          + "    - issuer: https://spire.example.org\n"
          + "      jwksUrl: https://spire.example.org/keys\n"
          + "      caFile: /etc/keyward/spire-ca.pem\n"
          + "    - issuer: https://accounts.example.com\n"
          + "      discovery: true\n"
          + "policyFile: /etc/keyward/policy.yaml\n"
          + "keys:\n"
          + "  destroyMinWaitingPeriod: 48h\n"
          + "  destroyDefaultWaitingPeriod: 7d\n"
          + "  maintenanceInterval: 5m\n"
          + "shutdownGracePeriod: 500ms\n";

  /** The smallest valid file: one issuer; TLS and the root key come from env/flags. */
  static final String MINIMAL =
      "identity:\n"
          + "  issuers:\n"
          + "    - issuer: https://kubernetes.default.svc.cluster.local\n"
          + "      jwksFile: /etc/keyward/jwks.json\n";

  static final Map<String, String> DEV_ENV =
      Map.of("KEYWARD_INSECURE_DEV", "true", "KEYWARD_ROOT_KEY_FILE", "/tmp/root.key");

  Path write(String yaml) throws IOException {
    Path file = dir.resolve("keyward.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  ServerConfig load(String yaml, Map<String, String> env, List<String> args) throws Exception {
    return ServerConfig.load(Optional.of(write(yaml)), env, args);
  }

  String error(String yaml, Map<String, String> env, List<String> args) throws IOException {
    Path file = write(yaml);
    return assertThrows(ConfigException.class, () -> ServerConfig.load(Optional.of(file), env, args))
        .getMessage();
  }

  @Test
  void fullFile() throws Exception {
    ServerConfig c = load(FULL, Map.of(), List.of());
    assertEquals(new HostPort("127.0.0.1", 9443), c.listen());
    assertEquals(Optional.empty(), c.metricsListen());
    assertEquals(
        Optional.of(new Tls(Path.of("/etc/keyward/tls/tls.crt"), Path.of("/etc/keyward/tls/tls.key"),
            Optional.of(Path.of("/etc/keyward/tls/ca.crt")))),
        c.tls());
    assertFalse(c.insecureDev());
    assertEquals("sqlite:/var/lib/keyward/test.db", c.store());
    assertEquals(new RootKeyConfig(new KeyFile(Path.of("/etc/keyward/root.key")), true), c.rootKey());
    assertEquals("keyward-prod", c.identity().audience());
    assertEquals(Duration.ofSeconds(10), c.identity().clockSkew());
    assertEquals(Duration.ofMinutes(1), c.identity().jwksRefreshMinInterval());
    assertEquals(
        List.of(
            new IssuerConfig("https://kubernetes.default.svc.cluster.local",
                new JwksFile(Path.of("/etc/keyward/jwks.json")), Optional.empty()),
            new IssuerConfig("https://spire.example.org",
                new JwksUrl(URI.create("https://spire.example.org/keys")),
                Optional.of(Path.of("/etc/keyward/spire-ca.pem"))),
            new IssuerConfig("https://accounts.example.com", new Discovery(), Optional.empty())),
        c.identity().issuers());
    assertEquals(Optional.of(Path.of("/etc/keyward/policy.yaml")), c.policyFile());
    assertEquals(
        new ServerConfig.Keys(Duration.ofHours(48), Duration.ofDays(7), Duration.ofMinutes(5)),
        c.keys());
    assertEquals(Duration.ofMillis(500), c.shutdownGracePeriod());
  }

  @Test
  void defaults() throws Exception {
    ServerConfig c = load(MINIMAL, DEV_ENV, List.of());
    assertEquals(new HostPort("0.0.0.0", 8443), c.listen());
    assertEquals(Optional.of(new HostPort("0.0.0.0", 9090)), c.metricsListen());
    assertTrue(c.insecureDev());
    assertEquals(Optional.empty(), c.tls());
    assertEquals("sqlite:/var/lib/keyward/keyward.db", c.store());
    assertEquals(new RootKeyConfig(new KeyFile(Path.of("/tmp/root.key")), false), c.rootKey());
    assertEquals("keyward", c.identity().audience());
    assertEquals(Duration.ofSeconds(30), c.identity().clockSkew());
    assertEquals(Duration.ofSeconds(30), c.identity().jwksRefreshMinInterval());
    assertEquals(Optional.empty(), c.policyFile());
    assertEquals(
        new ServerConfig.Keys(Duration.ofHours(24), Duration.ofDays(30), Duration.ofMinutes(1)),
        c.keys());
    assertEquals(Duration.ofSeconds(20), c.shutdownGracePeriod());
  }

  @Test
  void environmentOverridesFile() throws Exception {
    Map<String, String> env =
        Map.of(
            "KEYWARD_LISTEN", "10.0.0.1:7000",
            "KEYWARD_METRICS_LISTEN", "",
            "KEYWARD_STORE", "postgresql://db.internal:5432/keyward",
            "KEYWARD_AUDIENCE", "other",
            "KEYWARD_POLICY_FILE", "/p.yaml",
            "KEYWARD_ROOT_KEY_FILE", "",
            "KEYWARD_ROOT_KEY_CREATE", "false",
            "KEYWARD_ROOT_KEY_PASSPHRASE_FILE", "/run/secrets/pass");
    ServerConfig c = load(FULL, env, List.of());
    assertEquals(new HostPort("10.0.0.1", 7000), c.listen());
    assertEquals(Optional.empty(), c.metricsListen());
    assertEquals("postgresql://db.internal:5432/keyward", c.store());
    assertEquals("other", c.identity().audience());
    assertEquals(Optional.of(Path.of("/p.yaml")), c.policyFile());
    assertEquals(new RootKeyConfig(new PassphraseFile(Path.of("/run/secrets/pass")), false), c.rootKey());
  }

  @Test
  void flagOverridesEnvironment() throws Exception {
    Map<String, String> env =
        Map.of("KEYWARD_LISTEN", "10.0.0.1:7000", "KEYWARD_INSECURE_DEV", "false",
            "KEYWARD_TLS_CERT_FILE", "/env.crt", "KEYWARD_TLS_KEY_FILE", "/env.key",
            "KEYWARD_ROOT_KEY_FILE", "/env.key");
    ServerConfig c =
        load(
            MINIMAL,
            env,
            List.of("--listen", "[::1]:7001", "--tls-cert-file=", "--tls-key-file", "",
                "--insecure-dev", "--metrics-listen=localhost:9100", "--store", "sqlite:/x.db"));
    assertEquals(new HostPort("[::1]", 7001), c.listen());
    assertTrue(c.insecureDev());
    assertEquals(Optional.empty(), c.tls());
    assertEquals(Optional.of(new HostPort("localhost", 9100)), c.metricsListen());
    assertEquals("sqlite:/x.db", c.store());
  }

  @Test
  void booleanFlagForms() throws Exception {
    Map<String, String> env = Map.of("KEYWARD_ROOT_KEY_FILE", "/k");
    assertTrue(load(MINIMAL, env, List.of("--insecure-dev=true")).insecureDev());
    assertTrue(load(MINIMAL, env, List.of("--insecure-dev", "true")).insecureDev());
    String msg = error(MINIMAL, env, List.of("--insecure-dev", "false"));
    assertTrue(msg.startsWith("TLS is required"), msg);
  }

  @Test
  void passphraseEnvNeedsTheVariableButDoesNotKeepItsValue() throws Exception {
    Map<String, String> env =
        Map.of("KEYWARD_INSECURE_DEV", "true", "KEYWARD_ROOT_KEY_PASSPHRASE_ENV", "KW_PASS",
            "KW_PASS", "correct horse battery staple");
    ServerConfig c = load(MINIMAL, env, List.of());
    assertEquals(new RootKeyConfig(new PassphraseEnv("KW_PASS"), false), c.rootKey());
    assertFalse(c.toString().contains("correct horse"), c.toString());

    String msg =
        error(MINIMAL, Map.of("KEYWARD_INSECURE_DEV", "true", "KEYWARD_ROOT_KEY_PASSPHRASE_ENV", "KW_PASS"),
            List.of());
    assertEquals(
        "rootKey.passphraseEnv names environment variable 'KW_PASS' (environment variable"
            + " KEYWARD_ROOT_KEY_PASSPHRASE_ENV), which is not set or empty",
        msg);
  }

  @Test
  void noFileAtAllNeedsIssuers() {
    ConfigException e =
        assertThrows(ConfigException.class,
            () -> ServerConfig.load(Optional.empty(), DEV_ENV, List.of()));
    assertEquals("identity.issuers must list at least one token issuer", e.getMessage());
  }

  // ---- validation errors ----

  @Test
  void badListen() throws Exception {
    assertEquals("listen must be host:port, got 'abc' (flag --listen)",
        error(MINIMAL, DEV_ENV, List.of("--listen", "abc")));
    assertEquals("listen must be host:port, got ':8443' (environment variable KEYWARD_LISTEN)",
        error(MINIMAL, Map.of("KEYWARD_LISTEN", ":8443", "KEYWARD_INSECURE_DEV", "true"), List.of()));
    assertEquals("listen must be host:port, got 'localhost:70000' (keyward.yaml line 1)",
        error("listen: localhost:70000\n" + MINIMAL, DEV_ENV, List.of()));
    assertEquals("metricsListen must use another port than listen (0.0.0.0:8443), got"
            + " '127.0.0.1:8443' (flag --metrics-listen)",
        error(MINIMAL, DEV_ENV, List.of("--metrics-listen", "127.0.0.1:8443")));
  }

  @Test
  void tlsIsRequiredWithoutInsecureDev() throws Exception {
    assertEquals(
        "TLS is required: set tls.certFile and tls.keyFile (or KEYWARD_TLS_CERT_FILE and"
            + " KEYWARD_TLS_KEY_FILE), or set insecureDev: true for local development only",
        error(MINIMAL, Map.of("KEYWARD_ROOT_KEY_FILE", "/k"), List.of()));
    assertEquals(
        "tls.keyFile must be set when tls.certFile is (flag --tls-cert-file)",
        error(MINIMAL, Map.of("KEYWARD_ROOT_KEY_FILE", "/k"), List.of("--tls-cert-file", "/c")));
  }

  @Test
  void tlsAndInsecureDevTogetherIsAnError() throws Exception {
    assertEquals(
        "insecureDev (environment variable KEYWARD_INSECURE_DEV) turns TLS off, but tls.certFile"
            + " is set (keyward.yaml line 4); set one or the other",
        error(FULL, Map.of("KEYWARD_INSECURE_DEV", "true"), List.of()));
  }

  @Test
  void twoRootKeySources() throws Exception {
    assertEquals(
        "rootKey needs exactly one of file, passphraseEnv, passphraseFile, pkcs11Config; got rootKey.file"
            + " (keyward.yaml line 10) and rootKey.passphraseFile (flag --root-key-passphrase-file)",
        error(FULL, Map.of(), List.of("--root-key-passphrase-file", "/pass")));
    assertEquals(
        "rootKey needs exactly one of file, passphraseEnv, passphraseFile, pkcs11Config; none is set",
        error(MINIMAL, Map.of("KEYWARD_INSECURE_DEV", "true"), List.of()));
    assertEquals(
        "rootKey.createIfMissing (environment variable KEYWARD_ROOT_KEY_CREATE) works only with"
            + " rootKey.file",
        error(MINIMAL, Map.of("KEYWARD_INSECURE_DEV", "true", "KEYWARD_ROOT_KEY_CREATE", "true",
            "KEYWARD_ROOT_KEY_PASSPHRASE_FILE", "/p"), List.of()));
  }

  @Test
  void noIssuers() throws Exception {
    assertEquals("identity.issuers must list at least one token issuer (keyward.yaml line 2)",
        error("identity:\n  issuers: []\n", DEV_ENV, List.of()));
    assertEquals("identity.issuers must list at least one token issuer",
        error("listen: 0.0.0.0:1\n", DEV_ENV, List.of()));
  }

  @Test
  void issuerNeedsExactlyOneJwksSource() throws Exception {
    assertEquals(
        "identity.issuers[0] needs exactly one of jwksFile, jwksUrl, discovery: true; got"
            + " [jwksFile, jwksUrl] (keyward.yaml line 3)",
        error(MINIMAL + "      jwksUrl: https://x.example/keys\n", DEV_ENV, List.of()));
    assertEquals(
        "identity.issuers[0] needs exactly one of jwksFile, jwksUrl, discovery: true; none is"
            + " set (keyward.yaml line 3)",
        error("identity:\n  issuers:\n    - issuer: https://a.example\n      discovery: false\n",
            DEV_ENV, List.of()));
    assertEquals(
        "identity.issuers[0].jwksUrl must be an https:// URL, got 'http://x.example/keys'"
            + " (keyward.yaml line 4)",
        error("identity:\n  issuers:\n    - issuer: https://a.example\n"
            + "      jwksUrl: http://x.example/keys\n", DEV_ENV, List.of()));
    assertEquals(
        "identity.issuers[1].issuer 'https://kubernetes.default.svc.cluster.local' is listed twice"
            + " (keyward.yaml line 5)",
        error(MINIMAL + "    - issuer: https://kubernetes.default.svc.cluster.local\n"
            + "      discovery: true\n", DEV_ENV, List.of()));
  }

  @Test
  void clockSkewAboveSixtySeconds() throws Exception {
    assertEquals(
        "identity.clockSkew must be between 0s and 1m, got '61s' (keyward.yaml line 2)",
        error("identity:\n  clockSkew: 61s\n" + MINIMAL.substring("identity:\n".length()),
            DEV_ENV, List.of()));
    assertEquals(
        "identity.clockSkew must be between 0s and 1m, got 'PT-5S' (keyward.yaml line 2)",
        error("identity:\n  clockSkew: PT-5S\n" + MINIMAL.substring("identity:\n".length()),
            DEV_ENV, List.of()));
  }

  @Test
  void badDuration() throws Exception {
    assertEquals(
        "shutdownGracePeriod must be a duration such as 500ms, 30s, 5m, 24h, 30d or PT30S, got"
            + " '20' (keyward.yaml line 1)",
        error("shutdownGracePeriod: 20\n" + MINIMAL, DEV_ENV, List.of()));
    assertEquals(
        "keys.maintenanceInterval must be a duration such as 500ms, 30s, 5m, 24h, 30d or PT30S,"
            + " got '1 minute' (keyward.yaml line 2)",
        error("keys:\n  maintenanceInterval: 1 minute\n" + MINIMAL, DEV_ENV, List.of()));
    assertEquals(
        "keys.maintenanceInterval must be between 1s and 24h, got '500ms' (keyward.yaml line 2)",
        error("keys:\n  maintenanceInterval: 500ms\n" + MINIMAL, DEV_ENV, List.of()));
    assertEquals(
        "keys.destroyDefaultWaitingPeriod must not be shorter than keys.destroyMinWaitingPeriod"
            + " (PT24H), got '1h' (keyward.yaml line 2)",
        error("keys:\n  destroyDefaultWaitingPeriod: 1h\n" + MINIMAL, DEV_ENV, List.of()));
  }

  @Test
  void unknownKeysAreErrorsWithLineNumbers() throws Exception {
    assertEquals("keyward.yaml line 3: unknown setting 'tls.certFlie'",
        error("listen: 0.0.0.0:1\ntls:\n  certFlie: /x\n" + MINIMAL, DEV_ENV, List.of()));
    assertEquals("keyward.yaml line 5: unknown setting 'lsiten'",
        error(MINIMAL + "lsiten: 0.0.0.0:1\n", DEV_ENV, List.of()));
    assertEquals(
        "keyward.yaml line 5: unknown setting 'identity.issuers[0].jwksFiles' (allowed: issuer,"
            + " jwksFile, jwksUrl, discovery, caFile)",
        error(MINIMAL + "      jwksFiles: /y\n", DEV_ENV, List.of()));
    assertEquals("keyward.yaml line 6: 'listen' is set twice in the configuration",
        error("listen: 0.0.0.0:1\n" + MINIMAL + "listen: 0.0.0.0:2\n", DEV_ENV, List.of()));
    assertEquals("keyward.yaml line 1: 'tls' must be a mapping",
        error("tls: /x\n" + MINIMAL, DEV_ENV, List.of()));
    assertEquals("keyward.yaml line 1: listen must be a single value, got a list",
        error("listen: [a, b]\n" + MINIMAL, DEV_ENV, List.of()));
  }

  @Test
  void unsafeYamlIsRefused() throws Exception {
    assertEquals("keyward.yaml line 2: YAML aliases are not allowed",
        error("listen: &a 0.0.0.0:1\nstore: *a\n" + MINIMAL, DEV_ENV, List.of()));
    String msg = error("store: !!java.io.File [/x]\n" + MINIMAL, DEV_ENV, List.of());
    assertTrue(msg.startsWith("keyward.yaml line 1: invalid YAML: Global tag is not allowed"), msg);
    msg = error("listen: [\n", DEV_ENV, List.of());
    assertTrue(msg.startsWith("keyward.yaml line 2: invalid YAML: "), msg);
  }

  @Test
  void badFlags() throws Exception {
    assertEquals("unknown flag '--lisen'", error(MINIMAL, DEV_ENV, List.of("--lisen", "x")));
    assertEquals("unknown flag '--config'", error(MINIMAL, DEV_ENV, List.of("--config", "x")));
    assertEquals("flag --listen needs a value", error(MINIMAL, DEV_ENV, List.of("--listen")));
    assertEquals("flag --listen needs a value",
        error(MINIMAL, DEV_ENV, List.of("--listen", "--store", "sqlite:x")));
    assertEquals("flag --listen is given more than once",
        error(MINIMAL, DEV_ENV, List.of("--listen=a:1", "--listen", "b:2")));
    assertEquals(
        "unexpected argument 'serve'; flags look like --name value or --name=value",
        error(MINIMAL, DEV_ENV, List.of("serve")));
  }

  @Test
  void otherBadValues() throws Exception {
    assertEquals("insecureDev must be true or false, got 'yes please' (environment variable"
            + " KEYWARD_INSECURE_DEV)",
        error(MINIMAL, Map.of("KEYWARD_INSECURE_DEV", "yes please"), List.of()));
    assertEquals("store must be sqlite:PATH or postgresql://HOST/DB, got 'mysql://x' (flag --store)",
        error(MINIMAL, DEV_ENV, List.of("--store", "mysql://x")));
    String msg = error(MINIMAL, DEV_ENV, List.of("--store", "postgresql://u:hunter2@db/k"));
    assertEquals("store must not contain a password (flag --store); give the database password"
        + " through the driver's own file or variable", msg);
    assertFalse(msg.contains("hunter2"));
    assertEquals("store must not contain a password (flag --store); give the database password"
            + " through the driver's own file or variable",
        error(MINIMAL, DEV_ENV, List.of("--store", "jdbc:postgresql://db/k?user=a&password=b")));
    assertEquals("identity.audience must be 1 to 256 printable characters without spaces, got"
            + " 'a b' (environment variable KEYWARD_AUDIENCE)",
        error(MINIMAL, Map.of("KEYWARD_INSECURE_DEV", "true", "KEYWARD_ROOT_KEY_FILE", "/k",
            "KEYWARD_AUDIENCE", "a b"), List.of()));
  }

  @Test
  void unreadableFile() {
    Path missing = dir.resolve("nope.yaml");
    ConfigException e =
        assertThrows(ConfigException.class,
            () -> ServerConfig.load(Optional.of(missing), DEV_ENV, List.of()));
    assertEquals("cannot read config file " + missing + ": NoSuchFileException", e.getMessage());
  }
}
