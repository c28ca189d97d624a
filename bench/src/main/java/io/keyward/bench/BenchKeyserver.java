package io.keyward.bench;

import io.keyward.keyserver.KeyserverLauncher;
import io.keyward.keyserver.config.ConfigException;
import io.keyward.keyserver.config.LocalServerConfig;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.testing.TestCertificates;
import io.keyward.testing.TestTokenIssuer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Production-configured keyservers in a temporary folder: YAML configuration read by {@link
 * ServerConfig#load}, started by {@link KeyserverLauncher} (Netty, TLS, the run's store, file root
 * key, hash-chained audit with durable commits, JWT verification against a JWKS file), each
 * listening on a free loopback port. Several replicas share the store, certificates, root key,
 * issuer and policy, as replicas behind one Service do; each has its own pool, caches and audit
 * writer.
 */
final class BenchKeyserver implements AutoCloseable {
  static final String ISSUER = "https://kubernetes.bench";
  static final String KEY = "bench";
  static final String NAMESPACE = "bench";
  static final String WORKLOAD = "load";
  /** The context every bench call carries; {@code tenant} is bound to the caller's namespace. */
  static final Map<String, String> CONTEXT = Map.of("tenant", NAMESPACE, "purpose", "load-test");

  private static final String POLICY = """
      rules:
        - name: operators
          match:
            issuer: %1$s
            subject: "system:serviceaccount:keyward-system:admin"
          keys: ["**"]
          operations: [all]
        - name: bench-load
          match:
            issuer: %1$s
            subject: "system:serviceaccount:%2$s:%3$s"
          keys: ["%4$s"]
          operations: [encrypt, decrypt]
          context:
            tenant: "{namespace}"
      """.formatted(ISSUER, NAMESPACE, WORKLOAD, KEY);

  private final List<KeyserverLauncher.Running> replicas;
  private final TestTokenIssuer issuer;
  private final TestCertificates certificates;

  private BenchKeyserver(List<KeyserverLauncher.Running> replicas, TestTokenIssuer issuer,
      TestCertificates certificates) {
    this.replicas = replicas;
    this.issuer = issuer;
    this.certificates = certificates;
  }

  /** One keyserver on an SQLite file in {@code dir}. */
  static BenchKeyserver start(Path dir) throws IOException, ConfigException, KeyserverLauncher.StartupException {
    return start(dir, BenchStore.sqliteLocation(dir), 1);
  }

  /**
   * Writes certificates, JWKS, policy and configuration into {@code dir} and starts {@code
   * replicas} servers on {@code store}, one after another (the first migrates the store, seeds
   * the policy and the root-key check; the others find them). When one fails to start, those
   * already running are closed.
   */
  static BenchKeyserver start(Path dir, String store, int replicas)
      throws IOException, ConfigException, KeyserverLauncher.StartupException {
    TestCertificates certificates = TestCertificates.create(dir);
    TestTokenIssuer issuer = TestTokenIssuer.create(ISSUER);
    Path jwks = issuer.writeJwks(dir.resolve("jwks.json"));
    Path policy = Files.writeString(dir.resolve("policy.yaml"), POLICY);
    Path configFile = LocalServerConfig.builder()
        .tls(certificates.serverCert(), certificates.serverKey())
        .store(store)
        .rootKeyFile(dir.resolve("root.key"))
        .issuer(ISSUER, jwks)
        .policyFile(policy)
        .shutdownGracePeriod("5s")
        // On, as in production: the h2load driver reads the per-code call counts from it.
        .metricsListen("127.0.0.1:0")
        .writeTo(dir.resolve("keyward.yaml"));
    // An empty environment: a KEYWARD_* variable of the developer's shell must not change the bench.
    ServerConfig config = ServerConfig.load(Optional.of(configFile), Map.of(), List.of());
    List<KeyserverLauncher.Running> started = new ArrayList<>(replicas);
    try {
      for (int i = 0; i < replicas; i++) {
        started.add(KeyserverLauncher.start(config, Clock.systemUTC())); // port 0: each its own port
      }
    } catch (KeyserverLauncher.StartupException | RuntimeException e) {
      closeAll(started);
      throw e;
    }
    return new BenchKeyserver(List.copyOf(started), issuer, certificates);
  }

  /** The gRPC port of the first replica (the only one of a single-server run). */
  int port() {
    return replicas.get(0).grpcPort();
  }

  /** The gRPC port of each replica. */
  List<Integer> ports() {
    return replicas.stream().map(KeyserverLauncher.Running::grpcPort).toList();
  }

  /** The Prometheus endpoint's port of the first replica. */
  int metricsPort() {
    return replicas.get(0).metricsPort().orElseThrow(() -> new IllegalStateException("metrics are off"));
  }

  Path caCertificate() {
    return certificates.caCert();
  }

  /** A projected service-account token of the bench workload (one hour). */
  String workloadToken() {
    return issuer.kubernetesToken(NAMESPACE, WORKLOAD);
  }

  /** A projected service-account token of any workload (one hour). */
  String tokenFor(String namespace, String serviceAccount) {
    return issuer.kubernetesToken(namespace, serviceAccount);
  }

  /** A token of the operator identity, allowed every admin operation. */
  String adminToken() {
    return issuer.kubernetesToken("keyward-system", "admin");
  }

  @Override
  public void close() {
    closeAll(replicas);
  }

  private static void closeAll(List<KeyserverLauncher.Running> servers) {
    for (KeyserverLauncher.Running server : servers) {
      server.close();
    }
  }
}
