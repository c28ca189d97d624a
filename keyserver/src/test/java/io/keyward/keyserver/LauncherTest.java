package io.keyward.keyserver;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetPolicyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.testing.TestCertificates;
import io.keyward.testing.TestTokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refusals, TLS, metrics and draining of the real launcher and main class. */
class LauncherTest {
  @TempDir Path dir;
  TestCertificates certificates;
  TestTokenIssuer issuer;
  final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    certificates = TestCertificates.create(dir);
    issuer = TestTokenIssuer.create(TestKeyserver.ISSUER);
    issuer.writeJwks(dir.resolve("jwks.json"));
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  /** A complete TLS configuration; {@code extra} lines are appended (later keys must not repeat). */
  Path config(int port, String rootKey, boolean createRootKey, String... extra) throws Exception {
    String yaml = String.join("\n",
        "listen: 127.0.0.1:" + port,
        "metricsListen: 127.0.0.1:0",
        "store: sqlite:" + dir.resolve("keyward.db"),
        "rootKey:",
        "  file: " + dir.resolve(rootKey),
        "  createIfMissing: " + createRootKey,
        "identity:",
        "  audience: keyward",
        "  issuers:",
        "    - issuer: " + TestKeyserver.ISSUER,
        "      jwksFile: " + dir.resolve("jwks.json"),
        "policyFile: " + dir.resolve("policy.yaml"),
        "shutdownGracePeriod: 10s",
        String.join("\n", extra),
        "");
    Path file = dir.resolve("keyward-" + System.nanoTime() + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  String tls() {
    return "tls:\n  certFile: " + certificates.serverCert() + "\n  keyFile: " + certificates.serverKey();
  }

  KeyserverLauncher.Running launch(Path config) throws Exception {
    KeyserverLauncher.Running running =
        KeyserverLauncher.start(ServerConfig.load(Optional.of(config), java.util.Map.of(), List.of()), Clock.systemUTC());
    toClose.add(running);
    return running;
  }

  static void startAndStop(Path config) throws Exception {
    KeyserverLauncher.start(ServerConfig.load(Optional.of(config), java.util.Map.of(), List.of()), Clock.systemUTC())
        .close();
  }

  ManagedChannel tlsChannel(int port) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", port)
        .sslContext(GrpcSslContexts.forClient().trustManager(certificates.caCert().toFile()).build())
        .build();
    toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  /** Runs KeyserverMain on {@code args}; returns its exit code and what it wrote to stderr. */
  record Exit(int code, String stderr) {}

  static Exit main(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(err, true, UTF_8));
    try {
      return new Exit(KeyserverMain.run(args), err.toString(UTF_8));
    } finally {
      System.setErr(original);
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void assertNothingListens(int port) {
    assertThrows(ConnectException.class, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      }
    }, "something listens on " + port + " after a refused start");
  }

  @Test
  void refusesAStoreInitialisedWithAnotherRootKey() throws Exception {
    startAndStop(config(0, "root.key", true, tls()));
    FileRootKey.createIfMissing(dir.resolve("other.key")).close();
    int port = freePort();
    Exit exit = main("--config", config(port, "other.key", false, tls()).toString());
    assertEquals(3, exit.code(), exit.stderr());
    assertTrue(exit.stderr().contains("root key"), exit.stderr());
    assertNothingListens(port);
    // The right key still opens it: the refusal changed nothing.
    startAndStop(config(0, "root.key", false, tls()));
  }

  @Test
  void refusesAMissingRootKeyFileUnlessAskedToCreateIt() throws Exception {
    int port = freePort();
    Exit exit = main("--config", config(port, "missing.key", false, tls()).toString());
    assertEquals(3, exit.code(), exit.stderr());
    assertTrue(exit.stderr().contains("missing.key"), exit.stderr());
    assertFalse(Files.exists(dir.resolve("missing.key")));
    assertNothingListens(port);
  }

  @Test
  void refusesMissingTlsFiles() throws Exception {
    int port = freePort();
    Path config = config(port, "root.key", true,
        "tls:\n  certFile: " + dir.resolve("nope.pem") + "\n  keyFile: " + dir.resolve("nope-key.pem"));
    Exit exit = main("--config", config.toString());
    assertTrue(exit.code() == 2 || exit.code() == 3, "exit " + exit.code() + ": " + exit.stderr());
    assertTrue(exit.stderr().contains("nope"), exit.stderr());
    assertNothingListens(port);
  }

  @Test
  void refusesBadConfiguration() throws Exception {
    Exit badListen = main("--config", config(0, "root.key", true, tls()).toString(), "--listen", "abc");
    assertEquals(2, badListen.code(), badListen.stderr());
    assertTrue(badListen.stderr().contains("listen"), badListen.stderr());

    Path typo = config(0, "root.key", true, tls(), "shutdownGracePeriodd: 5s");
    Exit unknown = main("--config", typo.toString());
    assertEquals(2, unknown.code(), unknown.stderr());
    assertTrue(unknown.stderr().contains("shutdownGracePeriodd"), unknown.stderr());

    Exit noTls = main("--config", config(0, "root.key", true).toString());
    assertEquals(2, noTls.code(), noTls.stderr());
    assertTrue(noTls.stderr().contains("TLS"), noTls.stderr());
    assertFalse(Files.exists(dir.resolve("keyward.db")), "a refused configuration touched the store");
  }

  @Test
  void tlsServerAnswersTrustingClientsOnlyAndServesMetricsWithoutSecrets() throws Exception {
    KeyserverLauncher.Running running = launch(config(0, "root.key", true, tls()));
    ManagedChannel channel = tlsChannel(running.grpcPort());
    String adminToken = issuer.kubernetesToken("ops", "admin");
    String teamAToken = issuer.kubernetesToken("a", "app");
    AdminServiceGrpc.AdminServiceBlockingStub admin = AdminServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestKeyserver.bearer(adminToken)).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(TestKeyserver.POLICY, admin.getPolicy(GetPolicyRequest.getDefaultInstance()).getDocument());
    admin.createKey(CreateKeyRequest.newBuilder().setName("shared").build());
    GenerateDataKeyResponse issued = KeyServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestKeyserver.bearer(teamAToken)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName("shared").build());
    assertEquals(32, issued.getPlaintextDataKey().size());

    ManagedChannel plaintext = NettyChannelBuilder.forAddress("localhost", running.grpcPort()).usePlaintext().build();
    toClose.add(() -> plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> AdminServiceGrpc.newBlockingStub(plaintext).withCallCredentials(TestKeyserver.bearer(adminToken))
            .withDeadlineAfter(10, TimeUnit.SECONDS).getPolicy(GetPolicyRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
    // A client that does not trust the test CA does not get through either.
    ManagedChannel untrusting = NettyChannelBuilder.forAddress("localhost", running.grpcPort()).build();
    toClose.add(() -> untrusting.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    assertThrows(StatusRuntimeException.class,
        () -> AdminServiceGrpc.newBlockingStub(untrusting).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getPolicy(GetPolicyRequest.getDefaultInstance()));

    HttpClient http = HttpClient.newHttpClient();
    URI metrics = URI.create("http://127.0.0.1:" + running.metricsPort().orElseThrow() + "/metrics");
    HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(metrics).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, scrape.statusCode());
    assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String body = scrape.body();
    assertTrue(body.contains("keyward_rpc"), body);
    assertTrue(body.lines().anyMatch(l -> l.startsWith("keyward_rpc") && l.contains("GenerateDataKey")), body);
    byte[] dek = issued.getPlaintextDataKey().toByteArray();
    for (String secret : List.of(adminToken, teamAToken, adminToken.split("\\.")[2],
        Base64.getEncoder().encodeToString(dek), Base64.getUrlEncoder().withoutPadding().encodeToString(dek),
        java.util.HexFormat.of().formatHex(dek), Base64.getEncoder().encodeToString(issued.getWrappedDataKey().toByteArray()))) {
      assertFalse(body.contains(secret), "metrics expose a token or key material");
    }
    assertEquals(405, http.send(HttpRequest.newBuilder(metrics).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void closeDrainsACallInFlight() throws Exception {
    KeyserverLauncher.Running running = launch(config(0, "root.key", true, tls()));
    ManagedChannel channel = tlsChannel(running.grpcPort());
    AdminServiceGrpc.AdminServiceFutureStub admin = AdminServiceGrpc.newFutureStub(channel)
        .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
    admin.getPolicy(GetPolicyRequest.getDefaultInstance()).get(10, TimeUnit.SECONDS); // connected

    Future<Key> inFlight;
    CompletableFuture<Void> closed;
    // Hold the SQLite write lock, so that CreateKey waits inside the server (busy timeout 5 s).
    try (Connection lock = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keyward.db"));
        Statement s = lock.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      inFlight = admin.createKey(CreateKeyRequest.newBuilder().setName("drained").build());
      awaitTrue(() -> serverThreadIsIn("KeyAdministration.create"), "CreateKey never reached the server");

      closed = CompletableFuture.runAsync(running::close);
      toClose.remove(running);
      // Once shutdown has begun, new calls are refused while the old one still runs.
      AdminServiceGrpc.AdminServiceBlockingStub fresh = AdminServiceGrpc.newBlockingStub(channel)
          .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")));
      awaitTrue(() -> refused(fresh), "the server kept accepting calls while draining");
      assertFalse(inFlight.isDone(), "the call in flight ended before its lock was released");
      assertFalse(closed.isDone(), "close did not wait for the call in flight");
      s.execute("ROLLBACK");
    }
    Key created = inFlight.get(10, TimeUnit.SECONDS);
    assertEquals("drained", created.getName());
    closed.get(15, TimeUnit.SECONDS);
  }

  private static boolean refused(AdminServiceGrpc.AdminServiceBlockingStub stub) {
    try {
      stub.withDeadlineAfter(2, TimeUnit.SECONDS).getPolicy(GetPolicyRequest.getDefaultInstance());
      return false;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.UNAVAILABLE;
    }
  }

  private static boolean serverThreadIsIn(String frame) {
    return Thread.getAllStackTraces().values().stream().anyMatch(stack -> java.util.Arrays.stream(stack)
        .anyMatch(f -> (f.getClassName() + "." + f.getMethodName()).endsWith(frame)));
  }

  private static void awaitTrue(BooleanSupplier condition, String failure) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure);
      LockSupport.parkNanos(10_000_000L);
    }
  }
}
