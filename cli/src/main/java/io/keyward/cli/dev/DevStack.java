package io.keyward.cli.dev;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.keyserver.KeyserverLauncher;
import io.keyward.keyserver.config.ConfigException;
import io.keyward.keyserver.config.LocalServerConfig;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.testing.TestCertificates;
import io.keyward.testing.TestTokenIssuer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A complete local Keyward in one process for development: a TLS keyserver on SQLite with a
 * generated root key, a development token issuer, a permissive policy, a key named {@code
 * default}, and (when available) a sidecar. Everything lives in one data folder and is reused by
 * the next start, so data encrypted in one run decrypts in the next.
 *
 * <p>Not for production: the root key and the issuer's signing key lie unencrypted in the data
 * folder (owner-only permissions), and the policy lets every token of the dev issuer do anything.
 */
public final class DevStack implements AutoCloseable {
  /** The {@code iss} of every development token. */
  public static final String ISSUER = "https://dev.keyward.local";
  /** Subject of the operator token in {@code admin.token}. */
  public static final String ADMIN_SUBJECT = "system:serviceaccount:keyward-dev:admin";
  /** Subject of the sidecar's token in {@code workload.token}. */
  public static final String WORKLOAD_SUBJECT = "system:serviceaccount:default:app";
  public static final String DEFAULT_KEY = "default";
  static final Duration TOKEN_TTL = Duration.ofHours(24);

  static final String POLICY = """
      # Development policy written by `keyward dev`: every token of the development issuer may do
      # everything. Replace it with `keyward policy apply FILE` to try a real policy.
      rules:
        - name: dev-everything
          match:
            issuer: %s
            subject: "**"
          keys: ["**"]
          operations: [all]
      """.formatted(ISSUER);

  private static final Logger log = LoggerFactory.getLogger(DevStack.class);

  /** What to start and where. */
  public record Options(Path dataDir, int keyserverPort, int sidecarPort, Optional<DevSidecar> sidecar) {
    public Options {
      Objects.requireNonNull(dataDir, "dataDir");
      if (keyserverPort < 0 || keyserverPort > 65535) {
        throw new IllegalArgumentException("keyserver port must be 0..65535, got " + keyserverPort);
      }
      if (sidecarPort < 0 || sidecarPort > 65535) {
        throw new IllegalArgumentException("sidecar port must be 0..65535, got " + sidecarPort);
      }
    }

    /** With the sidecar of this build, when there is one. */
    public static Options of(Path dataDir, int keyserverPort, int sidecarPort) {
      return new Options(dataDir, keyserverPort, sidecarPort, Optional.of(new LocalDevSidecar()));
    }
  }

  private final Path dataDir;
  private final KeyserverLauncher.Running keyserver;
  private final Optional<DevSidecar.Running> sidecar;
  private final String sidecarProblem;
  private final boolean reused;
  private final Key defaultKey;

  private DevStack(Path dataDir, KeyserverLauncher.Running keyserver, Optional<DevSidecar.Running> sidecar,
      String sidecarProblem, boolean reused, Key defaultKey) {
    this.dataDir = dataDir;
    this.keyserver = keyserver;
    this.sidecar = sidecar;
    this.sidecarProblem = sidecarProblem;
    this.reused = reused;
    this.defaultKey = defaultKey;
  }

  /**
   * Starts the stack in {@code options.dataDir()}, creating what is missing and reusing what a
   * previous run left: CA and server certificate, issuer key, root key, database. Tokens are minted
   * afresh (valid {@value #TOKEN_TTL_HOURS} hours) and {@code env} is rewritten.
   */
  public static DevStack start(Options options) throws Exception {
    Path dir = options.dataDir().toAbsolutePath().normalize();
    boolean reused = Files.exists(dir.resolve("keyward.db"));
    createPrivateDirectory(dir);
    Path tlsDir = dir.resolve("tls");
    createPrivateDirectory(tlsDir);
    Path caCert = certificates(tlsDir);
    TestTokenIssuer issuer = TestTokenIssuer.loadOrCreate(dir.resolve("issuer.jwk"), ISSUER);
    issuer.writeJwks(dir.resolve("jwks.json"));
    Path policy = dir.resolve("policy.yaml");
    if (!Files.exists(policy)) {
      Files.writeString(policy, POLICY);
    }
    Path config = dir.resolve("keyward.yaml");
    LocalServerConfig.builder()
        .comment("Written by `keyward dev` at each start; edit the data folder's files, not this one.")
        .listenPort(options.keyserverPort())
        .tls(tlsDir.resolve("server.pem"), tlsDir.resolve("server-key.pem"))
        .store("sqlite:" + dir.resolve("keyward.db"))
        .rootKeyFile(dir.resolve("root.key"))
        .issuer(ISSUER, dir.resolve("jwks.json"))
        .policyFile(policy)
        .destroyWaitingPeriods("0s", "24h")
        .writeTo(config);
    ServerConfig serverConfig;
    try {
      // An empty environment: the developer's KEYWARD_* variables describe a client, not this server.
      serverConfig = ServerConfig.load(Optional.of(config), Map.of(), List.of());
    } catch (ConfigException e) {
      throw new IllegalStateException("generated keyserver configuration is invalid: " + e.getMessage(), e);
    }
    KeyserverLauncher.Running keyserver = KeyserverLauncher.start(serverConfig, Clock.systemUTC());
    try {
      String address = "localhost:" + keyserver.grpcPort();
      Path adminToken = writePrivate(dir.resolve("admin.token"), token(issuer, "keyward-dev", "admin"));
      Path workloadToken = writePrivate(dir.resolve("workload.token"), token(issuer, "default", "app"));
      Key key = ensureDefaultKey(keyserver.grpcPort(), caCert, Files.readString(adminToken).trim());

      // The sidecar step.
      Optional<DevSidecar.Running> sidecar = Optional.empty();
      String problem = "not started: no sidecar in this build";
      if (options.sidecar().isPresent()) {
        try {
          sidecar = Optional.of(options.sidecar().get()
              .start(address, caCert, workloadToken, options.sidecarPort(), DEFAULT_KEY));
          problem = null;
        } catch (Exception e) {
          problem = "not started: " + e.getMessage();
          log.debug("sidecar did not start", e);
        }
      }
      DevStack stack = new DevStack(dir, keyserver, sidecar, problem, reused, key);
      writeEnvFile(dir.resolve("env"), stack.environment());
      return stack;
    } catch (Exception | Error e) {
      keyserver.close();
      throw e;
    }
  }

  private static final long TOKEN_TTL_HOURS = 24;

  private static String token(TestTokenIssuer issuer, String namespace, String serviceAccount) {
    return issuer.token()
        .subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
        .audience("keyward")
        .kubernetes(namespace, serviceAccount, null)
        .expiresIn(TOKEN_TTL)
        .sign();
  }

  /** Reuses the CA and server certificate while the server certificate is valid for another day. */
  private static Path certificates(Path tlsDir) throws IOException {
    Path ca = tlsDir.resolve("ca.pem");
    Path cert = tlsDir.resolve("server.pem");
    Path key = tlsDir.resolve("server-key.pem");
    if (Files.exists(ca) && Files.exists(cert) && Files.exists(key) && validForADay(cert)) {
      return ca;
    }
    TestCertificates created = TestCertificates.create(tlsDir);
    if (tlsDir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(created.serverKey(), PosixFilePermissions.fromString("rw-------"));
    }
    return created.caCert();
  }

  private static boolean validForADay(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return c.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(1)));
    } catch (IOException | CertificateException | ClassCastException e) {
      return false;
    }
  }

  private static Key ensureDefaultKey(int port, Path caCert, String adminToken) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", port)
        .sslContext(GrpcSslContexts.forClient().trustManager(caCert.toFile()).build())
        .build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + adminToken);
      AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(10, TimeUnit.SECONDS);
      try {
        return admin.getKey(GetKeyRequest.newBuilder().setName(DEFAULT_KEY).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw e;
        }
        return admin.createKey(CreateKeyRequest.newBuilder().setName(DEFAULT_KEY).build());
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The variables of the {@code env} file, in order. */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KEYWARD_SERVER", keyserverAddress());
    env.put("KEYWARD_CA_CERT", caCert().toString());
    env.put("KEYWARD_TOKEN_FILE", adminTokenFile().toString());
    env.put("KEYWARD_SIDECAR_URL", sidecarUrl().orElse(""));
    env.put("KEYWARD_WORKLOAD_TOKEN_FILE", workloadTokenFile().toString());
    env.put("KEYWARD_DEV_ISSUER_KEY", issuerKeyFile().toString());
    env.put("KEYWARD_DEV_ISSUER", ISSUER);
    return env;
  }

  private static void writeEnvFile(Path file, Map<String, String> env) throws IOException {
    StringBuilder s = new StringBuilder("# Written by `keyward dev`. Use: source ").append(file).append('\n');
    env.forEach((k, v) -> s.append("export ").append(k).append('=').append(shellQuote(v)).append('\n'));
    Path tmp = file.resolveSibling("env.tmp");
    Files.writeString(tmp, s);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Single-quotes a value for POSIX shells unless it is plainly safe. */
  public static String shellQuote(String v) {
    if (!v.isEmpty() && v.chars().allMatch(c -> Character.isLetterOrDigit(c) || "/._-:+@%,=".indexOf(c) >= 0)) {
      return v;
    }
    return "'" + v.replace("'", "'\\''") + "'";
  }

  /** Parses an env file as {@code source} would for the lines this class writes. */
  public static Map<String, String> readEnvFile(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (l.startsWith("export ")) {
        l = l.substring("export ".length());
      }
      int eq = l.indexOf('=');
      if (eq <= 0) {
        throw new IOException("not a KEY=VALUE line in " + file + ": " + line);
      }
      String v = l.substring(eq + 1);
      if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
        v = v.substring(1, v.length() - 1).replace("'\\''", "'");
      }
      env.put(l.substring(0, eq), v);
    }
    return env;
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  private static Path writePrivate(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), ".token", ".tmp");
    try {
      Files.writeString(tmp, content + "\n");
      return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  /** {@code localhost:PORT}, the name the server certificate carries. */
  public String keyserverAddress() {
    return "localhost:" + keyserver.grpcPort();
  }

  public int keyserverPort() {
    return keyserver.grpcPort();
  }

  public Path caCert() {
    return dataDir.resolve("tls").resolve("ca.pem");
  }

  public Path adminTokenFile() {
    return dataDir.resolve("admin.token");
  }

  public Path workloadTokenFile() {
    return dataDir.resolve("workload.token");
  }

  public Path issuerKeyFile() {
    return dataDir.resolve("issuer.jwk");
  }

  public Path envFile() {
    return dataDir.resolve("env");
  }

  /** {@code http://127.0.0.1:PORT} when the sidecar runs. */
  public Optional<String> sidecarUrl() {
    return sidecar.map(s -> "http://127.0.0.1:" + s.httpPort());
  }

  /** Why the sidecar is not running, when it is not. */
  public Optional<String> sidecarProblem() {
    return Optional.ofNullable(sidecarProblem);
  }

  /** Whether the data folder held a database from an earlier run. */
  public boolean reused() {
    return reused;
  }

  /** The key {@code default} as it was at start-up. */
  public Key defaultKey() {
    return defaultKey;
  }

  /** Stops the sidecar, then the keyserver (which drains); the data folder stays. */
  @Override
  public void close() {
    try {
      sidecar.ifPresent(DevSidecar.Running::close);
    } finally {
      keyserver.close();
    }
  }
}
