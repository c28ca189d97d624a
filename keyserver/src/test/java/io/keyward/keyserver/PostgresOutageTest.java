package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersion;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.store.PostgresDatabases;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops the machine's PostgreSQL with {@code pg_ctlcluster ... stop -m immediate} (a crash: no
 * checkpoint, no clean shutdown) while a keyserver rotates keys and issues data keys on it, then
 * starts it again. While it is down every call fails with UNAVAILABLE; afterwards the server serves
 * again by itself, and nothing acknowledged is lost. Needs root (CI runs as root) and briefly stops
 * the shared database, so it is kept short; it always restarts PostgreSQL in a finally block.
 */
class PostgresOutageTest {
  private static final List<String> KEYS = List.of("shared", "a-outage");

  @TempDir Path dir;

  record Issued(String key, int version, ByteString wrapped, ByteString plaintext, Map<String, String> context) {}

  @Test
  void aCrashedDatabaseMeansUnavailableThenRecoveryWithNothingAcknowledgedLost() throws Exception {
    String cluster = clusterVersion();
    PostgresDatabases.TestDatabase database = PostgresDatabases.create();
    FakeClock clock = new FakeClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    TestTokenIssuer issuer = TestTokenIssuer.builder().issuer(TestKeyserver.ISSUER).clock(clock).build();
    Path jwks = issuer.writeJwks(dir.resolve("jwks.json"));
    FileRootKey.createIfMissing(dir.resolve("root.key")).close();
    ConcurrentLinkedQueue<Issued> issued = new ConcurrentLinkedQueue<>();
    Map<String, Set<Integer>> acknowledged = new ConcurrentHashMap<>();
    Map<Status.Code, AtomicLong> failuresWhileDown = new ConcurrentHashMap<>();
    AtomicLong successesWhileDown = new AtomicLong();
    AtomicBoolean down = new AtomicBoolean();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> clients = new ArrayList<>();
    StoreKeyserver server =
        StoreKeyserver.start(database.location(), FileRootKey.load(dir.resolve("root.key")), clock, issuer, jwks);
    try {
      for (String key : KEYS) {
        server.admin().createKey(CreateKeyRequest.newBuilder().setName(key).build());
        acknowledged.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(1);
      }
      AtomicLong counter = new AtomicLong();
      Runnable issue = () -> {
        String key = KEYS.get((int) (counter.get() % KEYS.size()));
        Map<String, String> context = Map.of("n", Long.toString(counter.incrementAndGet()));
        GenerateDataKeyResponse r = server.keys("a").generateDataKey(
            GenerateDataKeyRequest.newBuilder().setKeyName(key).putAllEncryptionContext(context).build());
        issued.add(new Issued(key, r.getKeyVersion(), r.getWrappedDataKey(), r.getPlaintextDataKey(), context));
        acknowledged.get(key).add(r.getKeyVersion());
      };
      Runnable rotate = () -> {
        String key = KEYS.get((int) (counter.get() % KEYS.size()));
        Key k = server.admin().rotateKey(RotateKeyRequest.newBuilder().setName(key).build());
        acknowledged.get(key).add(k.getPrimaryVersion());
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      };
      for (Runnable call : List.of(issue, issue, rotate)) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            boolean wasDown = down.get();
            try {
              call.run();
              if (wasDown && down.get()) {
                successesWhileDown.incrementAndGet();
              }
            } catch (StatusRuntimeException e) {
              if (wasDown && down.get()) {
                failuresWhileDown.computeIfAbsent(e.getStatus().getCode(), c -> new AtomicLong()).incrementAndGet();
              }
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
          }
        });
        t.setDaemon(true);
        clients.add(t);
        t.start();
      }
      awaitTrue(() -> issued.size() > 50, 30, "no load before the outage");
      try {
        pgctl(cluster, "stop", "-m", "immediate");
        down.set(true);
        awaitTrue(() -> failuresWhileDown.values().stream().mapToLong(AtomicLong::get).sum() >= 2, 30,
            "no call failed while PostgreSQL was down");
        down.set(false);
      } finally {
        down.set(false);
        pgctl(cluster, "start");
        awaitTrue(PostgresDatabases::reachable, 60, "PostgreSQL did not come back");
      }
      long after = issued.size();
      awaitTrue(() -> issued.size() > after + 10, 60, "the keyserver did not recover by itself");
      running.set(false);
      for (Thread t : clients) {
        t.join(30_000);
      }
      assertEquals(Set.of(Status.Code.UNAVAILABLE), failuresWhileDown.keySet(), "codes while down: " + failuresWhileDown);
      assertEquals(0, successesWhileDown.get(), "calls succeeded while the store was down");
    } finally {
      running.set(false);
      server.close();
    }
    // A fresh server (no caches) on the recovered database sees everything that was acknowledged.
    try (StoreKeyserver fresh =
        StoreKeyserver.start(database.location(), FileRootKey.load(dir.resolve("root.key")), clock, issuer, jwks)) {
      List<String> failures = new ArrayList<>();
      for (String name : KEYS) {
        Key key = fresh.admin().getKey(GetKeyRequest.newBuilder().setName(name).build());
        List<Integer> versions = key.getVersionsList().stream().map(KeyVersion::getVersion).toList();
        int newest = versions.get(versions.size() - 1);
        if (key.getPrimaryVersion() != newest || !versions.equals(IntStream.rangeClosed(1, newest).boxed().toList())) {
          failures.add(name + ": primary " + key.getPrimaryVersion() + ", versions " + versions);
        }
        for (int acked : acknowledged.get(name)) {
          if (!versions.contains(acked)) {
            failures.add(name + ": acknowledged version " + acked + " is gone");
          }
        }
      }
      for (Issued dek : issued) {
        try {
          ByteString opened = fresh.keys("a").decryptDataKey(DecryptDataKeyRequest.newBuilder()
              .setWrappedDataKey(dek.wrapped()).putAllEncryptionContext(dek.context()).build()).getPlaintextDataKey();
          if (!opened.equals(dek.plaintext())) {
            failures.add(dek.key() + " v" + dek.version() + ": other bytes");
          }
        } catch (StatusRuntimeException e) {
          failures.add(dek.key() + " v" + dek.version() + ": " + e.getStatus());
        }
      }
      assertEquals(List.of(), failures, issued.size() + " data keys checked");
      System.out.printf("outage test: %d data keys, %d versions acknowledged, failures while down %s%n",
          issued.size(), acknowledged.values().stream().mapToInt(Set::size).sum(), failuresWhileDown);
    } finally {
      database.close();
    }
  }

  /** The cluster version under /etc/postgresql; skips (or fails under CI) without root or pg_ctlcluster. */
  private static String clusterVersion() throws IOException {
    PostgresDatabases.requireReachable();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path etc = Path.of("/etc/postgresql");
    boolean tools = Files.isDirectory(etc) && Files.isExecutable(Path.of("/usr/bin/pg_ctlcluster"));
    if (!root || !tools) {
      String ci = System.getenv("CI");
      if (ci != null && !ci.isEmpty()) {
        fail("stopping PostgreSQL needs root and pg_ctlcluster (CI is set)");
      }
      assumeTrue(false, "needs root and pg_ctlcluster; skipped");
    }
    try (var versions = Files.list(etc)) {
      return versions.map(p -> p.getFileName().toString()).sorted().reduce((x, y) -> y).orElseThrow();
    }
  }

  private static void pgctl(String version, String... action) throws Exception {
    List<String> command = new ArrayList<>(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version, "main"));
    command.addAll(List.of(action));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pg_ctlcluster " + List.of(action) + " hung");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "pg_ctlcluster " + List.of(action) + ": " + out);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, int seconds, String failure) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }
}
