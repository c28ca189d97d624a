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
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
import io.keyward.keyserver.store.PostgresDatabases;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two keyserver processes (replicas) on one PostgreSQL database; clients rotate keys and issue data
 * keys through both while the test kills one replica after the other with SIGKILL and restarts it.
 * Afterwards every acknowledged version exists, versions are 1..n with the newest primary, every
 * issued data key unwraps through both replicas, and the shared audit chain verifies. {@code
 * -Dkeyward.crash.iterations=N} (the {@code durability-long} profile) runs a longer soak.
 */
class PostgresCrashTest {
  private static final int ITERATIONS = Integer.getInteger("keyward.crash.iterations", 4);
  private static final List<String> KEYS = List.of("shared", "a-crash");
  private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)");

  @TempDir Path dir;
  PostgresDatabases.TestDatabase database;
  TestTokenIssuer issuer;
  Path config;
  final Process[] processes = new Process[2];
  final AtomicReferenceArray<ManagedChannel> channels = new AtomicReferenceArray<>(2);
  final List<ManagedChannel> allChannels = new ArrayList<>();
  final AtomicBoolean running = new AtomicBoolean(true);
  final List<Thread> clients = new ArrayList<>();

  record Issued(String key, int version, ByteString wrapped, ByteString plaintext, Map<String, String> context) {}

  final ConcurrentLinkedQueue<Issued> issued = new ConcurrentLinkedQueue<>();
  final Map<String, Set<Integer>> acknowledged = new ConcurrentHashMap<>();
  final AtomicLong failedCalls = new AtomicLong();

  @BeforeEach
  void setUp() throws Exception {
    database = PostgresDatabases.create();
    issuer = TestTokenIssuer.create(TestKeyserver.ISSUER);
    issuer.writeJwks(dir.resolve("jwks.json"));
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
    io.keyward.keyserver.rootkey.FileRootKey.createIfMissing(dir.resolve("root.key")).close();
    config = dir.resolve("keyward.yaml");
    Files.writeString(config, String.join("\n",
        "listen: 127.0.0.1:0",
        "metricsListen: \"\"",
        "insecureDev: true",
        "store: " + database.location(),
        "rootKey:",
        "  file: " + dir.resolve("root.key"),
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
    KEYS.forEach(k -> acknowledged.put(k, ConcurrentHashMap.newKeySet()));
  }

  @AfterEach
  void tearDown() throws Exception {
    running.set(false);
    for (Thread t : clients) {
      t.join(10_000);
    }
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    for (ManagedChannel c : allChannels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  void acknowledgedWritesSurviveKillNineOfEitherReplica() throws Exception {
    start(0, 0);
    start(1, 0);
    for (String key : KEYS) {
      admin(0).createKey(CreateKeyRequest.newBuilder().setName(key).build());
      acknowledged.get(key).add(1);
    }
    startClients();
    Random random = new Random();
    for (int i = 1; i <= ITERATIONS; i++) {
      int victim = i % 2;
      long before = issued.size();
      awaitTrue(() -> issued.size() > before + 5, 30, "clients made no progress before kill " + i);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100 + random.nextInt(500)));
      processes[victim].destroyForcibly();
      assertTrue(processes[victim].waitFor(10, TimeUnit.SECONDS), "replica survived SIGKILL");
      assertEquals(128 + 9, processes[victim].exitValue());
      start(victim, i);
    }
    long before = issued.size();
    awaitTrue(() -> issued.size() > before + 5, 30, "clients made no progress after the last restart");
    running.set(false);
    for (Thread t : clients) {
      t.join(15_000);
      assertFalse(t.isAlive(), "client thread did not stop");
    }
    System.out.printf("postgres crash test: %d kills, %d data keys, %d acknowledged versions, %d failed calls%n",
        ITERATIONS, issued.size(), acknowledged.values().stream().mapToInt(Set::size).sum(), failedCalls.get());

    List<String> failures = new ArrayList<>();
    for (String name : KEYS) {
      Key key = admin(0).getKey(GetKeyRequest.newBuilder().setName(name).build());
      List<Integer> versions = key.getVersionsList().stream().map(KeyVersion::getVersion).toList();
      int newest = versions.get(versions.size() - 1);
      if (key.getPrimaryVersion() != newest) {
        failures.add(name + ": primary " + key.getPrimaryVersion() + " is not the newest " + newest);
      }
      if (!versions.equals(IntStream.rangeClosed(1, newest).boxed().toList())) {
        failures.add(name + ": versions are not 1.." + newest + ": " + versions);
      }
      for (int acked : acknowledged.get(name)) {
        if (!versions.contains(acked)) {
          failures.add(name + ": acknowledged version " + acked + " is gone");
        }
      }
    }
    String teamA = issuer.kubernetesToken("a", "app");
    for (Issued dek : issued) {
      for (int replica = 0; replica < 2; replica++) {
        try {
          ByteString opened = keys(replica, teamA).decryptDataKey(DecryptDataKeyRequest.newBuilder()
              .setWrappedDataKey(dek.wrapped()).putAllEncryptionContext(dek.context()).build()).getPlaintextDataKey();
          if (!opened.equals(dek.plaintext())) {
            failures.add(dek.key() + " v" + dek.version() + " on replica " + replica + ": other bytes");
          }
        } catch (StatusRuntimeException e) {
          failures.add(dek.key() + " v" + dek.version() + " on replica " + replica + ": " + e.getStatus());
        }
      }
    }
    assertEquals(List.of(), failures, "after " + ITERATIONS + " kills, " + issued.size() + " data keys");
    VerifyAuditChainResponse chain = admin(1).verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertTrue(chain.getIntact(), chain.getReason());
    assertTrue(acknowledged.values().stream().mapToInt(Set::size).sum() > KEYS.size(), "no rotation landed");
  }

  private void startClients() {
    String teamA = issuer.kubernetesToken("a", "app");
    String admin = issuer.kubernetesToken("ops", "admin");
    AtomicLong counter = new AtomicLong();
    for (int t = 0; t < 4; t++) {
      int replica = t % 2;
      clients.add(client(() -> {
        String key = KEYS.get((int) (counter.get() % KEYS.size()));
        Map<String, String> context = Map.of("n", Long.toString(counter.incrementAndGet()));
        GenerateDataKeyResponse r = KeyServiceGrpc.newBlockingStub(channels.get(replica))
            .withCallCredentials(TestKeyserver.bearer(teamA)).withDeadlineAfter(5, TimeUnit.SECONDS)
            .generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName(key).putAllEncryptionContext(context).build());
        issued.add(new Issued(key, r.getKeyVersion(), r.getWrappedDataKey(), r.getPlaintextDataKey(), context));
        acknowledged.get(key).add(r.getKeyVersion());
      }));
    }
    for (int replica = 0; replica < 2; replica++) {
      int via = replica;
      clients.add(client(() -> {
        String key = KEYS.get((int) (counter.get() % KEYS.size()));
        Key rotated = AdminServiceGrpc.newBlockingStub(channels.get(via))
            .withCallCredentials(TestKeyserver.bearer(admin)).withDeadlineAfter(5, TimeUnit.SECONDS)
            .rotateKey(RotateKeyRequest.newBuilder().setName(key).build());
        acknowledged.get(key).add(rotated.getPrimaryVersion());
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
      }));
    }
    clients.forEach(Thread::start);
  }

  private Thread client(Runnable call) {
    Thread t = new Thread(() -> {
      while (running.get()) {
        try {
          call.run();
        } catch (StatusRuntimeException e) {
          failedCalls.incrementAndGet(); // not acknowledged: nothing recorded
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
      }
    });
    t.setDaemon(true);
    return t;
  }

  private void start(int replica, int round) throws Exception {
    Path out = dir.resolve("replica-" + replica + "-" + round + ".out");
    Path err = dir.resolve("replica-" + replica + "-" + round + ".err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    assertTrue(List.of(classpath.split(File.pathSeparator)).stream().anyMatch(e -> e.contains("grpc")),
        "classpath does not list the dependencies");
    Process process = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath,
        KeyserverMain.class.getName(), "--config", config.toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    processes[replica] = process;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int port = -1;
    while (port < 0) {
      Matcher m = LISTENING.matcher(Files.readString(out) + Files.readString(err));
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      } else if (!process.isAlive() || System.nanoTime() > deadline) {
        fail("replica did not start:\n" + Files.readString(err));
      } else {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(25));
      }
    }
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    allChannels.add(c);
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(c);
    awaitTrue(() -> {
      try {
        return health.withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(Keyserver.SERVICE_NAME).build())
            .getStatus() == HealthCheckResponse.ServingStatus.SERVING;
      } catch (StatusRuntimeException e) {
        return false;
      }
    }, 30, "replica never reported SERVING");
    channels.set(replica, c);
  }

  private AdminServiceGrpc.AdminServiceBlockingStub admin(int replica) {
    return AdminServiceGrpc.newBlockingStub(channels.get(replica))
        .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private KeyServiceGrpc.KeyServiceBlockingStub keys(int replica, String token) {
    return KeyServiceGrpc.newBlockingStub(channels.get(replica))
        .withCallCredentials(TestKeyserver.bearer(token)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, int seconds, String failure) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
