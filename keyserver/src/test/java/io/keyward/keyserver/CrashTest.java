package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.KeyVersion;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.VerifyAuditChainRequest;
import io.keyward.api.v1.VerifyAuditChainResponse;
import io.keyward.testing.TestCertificates;
import io.keyward.testing.TestTokenIssuer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the real server process with SIGKILL at random moments while clients rotate keys and
 * issue data keys over TLS, restarts it, and checks that nothing acknowledged was lost: every
 * acknowledged version exists, the primary is the newest version, every issued data key unwraps,
 * and the audit chain verifies. {@code -Dkeyward.crash.iterations=N} runs a longer soak.
 */
class CrashTest {
  private static final int ITERATIONS = Integer.getInteger("keyward.crash.iterations", 5);
  private static final List<String> KEYS = List.of("shared", "a-crash");
  private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)");
  private static final int SIGKILL_EXIT = 128 + 9;

  @TempDir Path dir;
  TestTokenIssuer issuer;
  TestCertificates certificates;
  SslContext clientTls;
  Path config;
  Process process;
  volatile ManagedChannel channel;
  final List<ManagedChannel> channels = new ArrayList<>();
  final AtomicBoolean running = new AtomicBoolean(true);
  final List<Thread> clients = new ArrayList<>();

  record Issued(String key, int version, ByteString wrapped, ByteString plaintext, Map<String, String> context) {}

  final ConcurrentLinkedQueue<Issued> issued = new ConcurrentLinkedQueue<>();
  final Map<String, Set<Integer>> acknowledgedVersions = new ConcurrentHashMap<>();
  final AtomicLong failedCalls = new AtomicLong();

  @BeforeEach
  void setUp() throws Exception {
    certificates = TestCertificates.create(dir);
    clientTls = GrpcSslContexts.forClient().trustManager(certificates.caCert().toFile()).build();
    issuer = TestTokenIssuer.create(TestKeyserver.ISSUER); // the real clock: a separate process checks exp
    issuer.writeJwks(dir.resolve("jwks.json"));
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
    config = dir.resolve("keyward.yaml");
    Files.writeString(config, String.join("\n",
        "listen: 127.0.0.1:0",
        "metricsListen: \"\"",
        "tls:",
        "  certFile: " + certificates.serverCert(),
        "  keyFile: " + certificates.serverKey(),
        "store: sqlite:" + dir.resolve("keyward.db"),
        "rootKey:",
        "  file: " + dir.resolve("root.key"),
        "  createIfMissing: true",
        "identity:",
        "  audience: keyward",
        "  issuers:",
        "    - issuer: " + TestKeyserver.ISSUER,
        "      jwksFile: " + dir.resolve("jwks.json"),
        "policyFile: " + dir.resolve("policy.yaml"),
        "keys:",
        "  maintenanceInterval: 1s",
        "shutdownGracePeriod: 2s",
        ""));
    KEYS.forEach(k -> acknowledgedVersions.put(k, ConcurrentHashMap.newKeySet()));
  }

  @AfterEach
  void tearDown() throws Exception {
    running.set(false);
    for (Thread t : clients) {
      t.join(10_000);
    }
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void acknowledgedWritesSurviveKillNine() throws Exception {
    start(0);
    for (String key : KEYS) {
      admin().createKey(CreateKeyRequest.newBuilder().setName(key).build());
      acknowledgedVersions.get(key).add(1);
    }
    startClients();
    Random random = new Random();
    for (int i = 1; i <= ITERATIONS; i++) {
      long before = issued.size();
      awaitTrue(() -> issued.size() > before, 20, "clients made no progress before kill " + i);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100 + random.nextInt(700))); // a random moment
      kill();
      start(i);
    }
    long before = issued.size();
    awaitTrue(() -> issued.size() > before, 20, "clients made no progress after the last restart");
    running.set(false);
    for (Thread t : clients) {
      t.join(15_000);
      assertFalse(t.isAlive(), "client thread did not stop");
    }

    System.out.printf("crash test: %d kills, %d data keys, %d acknowledged versions, %d failed calls%n",
        ITERATIONS, issued.size(), acknowledgedVersions.values().stream().mapToInt(Set::size).sum(),
        failedCalls.get());
    List<String> failures = new ArrayList<>();
    for (String name : KEYS) {
      Key key = admin().getKey(GetKeyRequest.newBuilder().setName(name).build());
      List<Integer> versions = key.getVersionsList().stream().map(KeyVersion::getVersion).toList();
      int newest = versions.stream().mapToInt(Integer::intValue).max().orElseThrow();
      if (key.getPrimaryVersion() != newest) {
        failures.add(name + ": primary " + key.getPrimaryVersion() + " is not the newest version " + newest);
      }
      if (!versions.equals(java.util.stream.IntStream.rangeClosed(1, newest).boxed().toList())) {
        failures.add(name + ": versions are not 1.." + newest + ": " + versions);
      }
      for (int acked : acknowledgedVersions.get(name)) {
        if (!versions.contains(acked)) {
          failures.add(name + ": acknowledged version " + acked + " is gone");
        }
      }
    }
    String teamA = issuer.kubernetesToken("a", "app");
    for (Issued dek : issued) {
      try {
        ByteString opened = keys(teamA).decryptDataKey(DecryptDataKeyRequest.newBuilder()
            .setWrappedDataKey(dek.wrapped()).putAllEncryptionContext(dek.context()).build()).getPlaintextDataKey();
        if (!opened.equals(dek.plaintext())) {
          failures.add(dek.key() + " v" + dek.version() + " " + dek.context() + ": unwrapped to other bytes");
        }
      } catch (StatusRuntimeException e) {
        failures.add(dek.key() + " v" + dek.version() + " " + dek.context() + ": " + e.getStatus());
      }
    }
    assertEquals(List.of(), failures, "after " + ITERATIONS + " kills, " + issued.size() + " data keys");
    VerifyAuditChainResponse chain = admin().verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertTrue(chain.getIntact(), chain.getReason());
    assertTrue(chain.getRecordsChecked() >= issued.size(), "audit holds fewer records than issued data keys");
    assertTrue(acknowledgedVersions.values().stream().mapToInt(Set::size).sum() > KEYS.size(), "no rotation landed");

    process.destroy(); // SIGTERM: drains and exits
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "server did not stop on SIGTERM");
  }

  private void startClients() {
    String teamA = issuer.kubernetesToken("a", "app");
    String admin = issuer.kubernetesToken("ops", "admin");
    AtomicLong counter = new AtomicLong();
    for (int t = 0; t < 2; t++) {
      clients.add(client("issuer-" + t, () -> {
        String key = KEYS.get((int) (counter.get() % KEYS.size()));
        Map<String, String> context = Map.of("n", Long.toString(counter.incrementAndGet()));
        GenerateDataKeyResponse r = KeyServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(TestKeyserver.bearer(teamA)).withDeadlineAfter(5, TimeUnit.SECONDS)
            .generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName(key).putAllEncryptionContext(context)
                .build());
        issued.add(new Issued(key, r.getKeyVersion(), r.getWrappedDataKey(), r.getPlaintextDataKey(), context));
        acknowledgedVersions.get(key).add(r.getKeyVersion());
      }));
    }
    clients.add(client("rotator", () -> {
      String key = KEYS.get((int) (counter.get() % KEYS.size()));
      Key rotated = AdminServiceGrpc.newBlockingStub(channel)
          .withCallCredentials(TestKeyserver.bearer(admin)).withDeadlineAfter(5, TimeUnit.SECONDS)
          .rotateKey(RotateKeyRequest.newBuilder().setName(key).build());
      acknowledgedVersions.get(key).add(rotated.getPrimaryVersion());
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
    }));
    clients.forEach(Thread::start);
  }

  private Thread client(String name, Runnable call) {
    Thread t = new Thread(() -> {
      while (running.get()) {
        try {
          call.run();
        } catch (StatusRuntimeException e) {
          // Not acknowledged (server down or restarting): nothing recorded, try again shortly.
          failedCalls.incrementAndGet();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
      }
    }, "crash-client-" + name);
    t.setDaemon(true);
    return t;
  }

  /** Starts the server process and waits (bounded) until its health service reports SERVING. */
  private void start(int round) throws Exception {
    Path out = dir.resolve("server-" + round + ".out");
    Path err = dir.resolve("server-" + round + ".err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", testClasspath(),
        KeyserverMain.class.getName(), "--config", config.toString())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    long started = System.nanoTime();
    long deadline = started + TimeUnit.SECONDS.toNanos(30);
    int port = -1;
    while (port < 0) {
      Matcher m = LISTENING.matcher(Files.readString(out));
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      } else if (!process.isAlive() || System.nanoTime() > deadline) {
        fail("server did not start (exit " + (process.isAlive() ? "-" : process.exitValue()) + "):\n"
            + Files.readString(err));
      } else {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(25));
      }
    }
    ManagedChannel c = NettyChannelBuilder.forAddress("localhost", port).sslContext(clientTls).build();
    channels.add(c);
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(c);
    awaitTrue(() -> {
      try {
        return health.withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(Keyserver.SERVICE_NAME).build())
            .getStatus() == HealthCheckResponse.ServingStatus.SERVING;
      } catch (StatusRuntimeException e) {
        return false;
      }
    }, 30, "health service never reported SERVING");
    channel = c;
    System.out.printf("crash test: server %d serving after %d ms; %d data keys so far%n",
        round, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), issued.size());
  }

  /** SIGKILL: no shutdown hook, no drain, no final flush. */
  private void kill() throws Exception {
    process.destroyForcibly();
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "process survived SIGKILL");
    assertEquals(SIGKILL_EXIT, process.exitValue(), "destroyForcibly did not send SIGKILL");
  }

  /**
   * The test classpath for the child JVM. Surefire starts its fork from a manifest-only jar but
   * then sets both {@code surefire.test.class.path} and {@code java.class.path} to the full test
   * classpath (see the properties in the surefire XML report); under an IDE only the latter is set.
   */
  static String testClasspath() {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    assertTrue(List.of(classpath.split(File.pathSeparator)).stream().anyMatch(e -> e.contains("grpc")),
        "classpath does not list the dependencies: " + classpath);
    return classpath;
  }

  private AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private KeyServiceGrpc.KeyServiceBlockingStub keys(String token) {
    return KeyServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestKeyserver.bearer(token))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, int seconds, String failure) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
