package io.keyward.keyserver;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.keyserver.config.LocalServerConfig;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.testing.TestCertificates;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A production-configured keyserver on a loopback TCP port with TLS (YAML config through {@link
 * ServerConfig#load}, started by {@link KeyserverLauncher}), for tests of the sidecar, the CLI
 * and the SDK against a real server. {@link #stop()} and {@link #restart()} keep the port and the
 * files, so clients see the same server come back. Policy: {@link TestKeyserver#POLICY}.
 */
public final class NetworkKeyserver implements AutoCloseable {
  public final Path dir;
  public final TestTokenIssuer issuer;
  public final TestCertificates certificates;
  private final Path configFile;
  private int port;
  private KeyserverLauncher.Running running;

  private NetworkKeyserver(Path dir) throws Exception {
    this.dir = dir;
    this.certificates = TestCertificates.create(dir);
    this.issuer = TestTokenIssuer.create(TestKeyserver.ISSUER);
    issuer.writeJwks(dir.resolve("jwks.json"));
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
    this.configFile = dir.resolve("keyward.yaml");
    writeConfig(0);
    this.running = launch();
    this.port = running.grpcPort();
    writeConfig(port); // a restart comes back on the same port
  }

  /** Starts a keyserver whose files live in {@code dir}. */
  public static NetworkKeyserver start(Path dir) throws Exception {
    return new NetworkKeyserver(dir);
  }

  public int port() {
    return port;
  }

  /** {@code localhost:PORT}, matching the test certificate's name. */
  public String address() {
    return "localhost:" + port;
  }

  public Path caCertificate() {
    return certificates.caCert();
  }

  public String adminToken() {
    return issuer.kubernetesToken("ops", "admin");
  }

  public String tokenFor(String namespace, String serviceAccount) {
    return issuer.kubernetesToken(namespace, serviceAccount);
  }

  public boolean isRunning() {
    return running != null;
  }

  /** Stops the server (drains); the files stay. */
  public void stop() {
    if (running != null) {
      running.close();
      running = null;
    }
  }

  /** Starts the server again on the same port and files. */
  public void restart() throws Exception {
    stop();
    running = launch();
  }

  /** Creates {@code name} through AdminService over TLS. */
  public void createKey(String name) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", port)
        .sslContext(GrpcSslContexts.forClient().trustManager(caCertificate().toFile()).build())
        .build();
    try {
      AdminServiceGrpc.newBlockingStub(channel)
          .withCallCredentials(TestKeyserver.bearer(adminToken()))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .createKey(CreateKeyRequest.newBuilder().setName(name).build());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private KeyserverLauncher.Running launch() throws Exception {
    // An empty environment: a KEYWARD_* variable in the developer's shell must not change tests.
    ServerConfig config = ServerConfig.load(Optional.of(configFile), Map.of(), List.of());
    return KeyserverLauncher.start(config, Clock.systemUTC());
  }

  private void writeConfig(int listenPort) throws Exception {
    LocalServerConfig.builder()
        .listenPort(listenPort)
        .tls(certificates.serverCert(), certificates.serverKey())
        .store("sqlite:" + dir.resolve("keyward.db"))
        .rootKeyFile(dir.resolve("root.key"))
        .issuer(TestKeyserver.ISSUER, dir.resolve("jwks.json"))
        .policyFile(dir.resolve("policy.yaml"))
        .writeTo(configFile);
  }

  @Override
  public void close() {
    stop();
  }
}
