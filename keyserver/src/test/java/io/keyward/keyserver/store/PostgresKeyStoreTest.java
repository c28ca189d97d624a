package io.keyward.keyserver.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.testing.FakeClock;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The key store on a real PostgreSQL database. Two {@link JdbcKeyStore}s on one database stand for
 * two keyserver replicas: each has its own connection pool and in-process lock, so only the
 * database can keep them consistent.
 */
class PostgresKeyStoreTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  private PostgresDatabases.TestDatabase database;
  private JdbcKeyStore store;
  private JdbcKeyStore replica;
  private final FakeClock clock = FakeClock.startingAt2026();

  @BeforeEach
  void open() {
    database = PostgresDatabases.create();
    store = Stores.open(database.location());
    replica = Stores.open("jdbc:postgresql://127.0.0.1:5432/" + database.name() + "?user=postgres");
  }

  @AfterEach
  void close() {
    if (replica != null) {
      replica.close();
    }
    if (store != null) {
      store.close();
    }
    if (database != null) {
      database.close();
    }
  }

  private static WrappedSecret secret() {
    byte[] bytes = new byte[61];
    RANDOM.nextBytes(bytes);
    return new WrappedSecret("root-1", bytes);
  }

  private static ErrorCode codeOf(Runnable r) {
    return assertThrows(KeyserverException.class, r::run).code();
  }

  @Test
  void keysVersionsAndSettingsRoundTripThroughByteaAndBigint() {
    WrappedSecret first = secret();
    KeySettings settings =
        new KeySettings(Optional.of(Duration.ofDays(30)), OptionalLong.of(1_000_000));
    KeyRecord created = store.createKey("payments", settings, first, clock.instant());
    store.createKey("alpha", KeySettings.NONE, secret(), clock.instant());

    assertEquals(settings, created.settings());
    assertEquals(clock.instant(), created.createdAt());
    assertEquals(Optional.of(first), created.primary().wrappedSecret());
    assertEquals(Optional.of(created), replica.findKey("payments"));
    assertEquals(
        List.of("alpha", "payments"), replica.listKeys().stream().map(KeyRecord::name).toList());
    assertEquals(
        ErrorCode.ALREADY_EXISTS,
        codeOf(() -> replica.createKey("payments", KeySettings.NONE, secret(), clock.instant())));
    assertEquals(Optional.of(first), store.findKey("payments").orElseThrow().primary().wrappedSecret());
    assertEquals(
        ErrorCode.NOT_FOUND,
        codeOf(() -> replica.addPrimaryVersion("nope", v -> secret(), clock.instant())));
  }

  @Test
  void concurrentRotationsThroughTwoReplicasYieldDistinctVersionsAndOnePrimary() throws Exception {
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    int threads = 8;
    int perThread = 15;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<Integer>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      JdbcKeyStore via = t % 2 == 0 ? store : replica;
      Callable<List<Integer>> task =
          () -> {
            start.await();
            List<Integer> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
              mine.add(via.addPrimaryVersion("k", v -> secret(), clock.instant()).primaryVersion());
            }
            return mine;
          };
      futures.add(pool.submit(task));
    }
    start.countDown();
    Set<Integer> seen = new HashSet<>();
    for (Future<List<Integer>> f : futures) {
      for (int v : f.get(120, TimeUnit.SECONDS)) {
        assertTrue(seen.add(v), "version " + v + " handed out twice");
      }
    }
    pool.shutdown();
    int last = threads * perThread + 1;
    KeyRecord key = replica.findKey("k").orElseThrow();
    assertEquals(last, key.primaryVersion());
    assertEquals(
        IntStream.rangeClosed(1, last).boxed().toList(),
        key.versions().stream().map(KeyVersionRecord::version).toList());
  }

  @Test
  void concurrentCreatesOfOneNameGiveOneKeyAndAlreadyExists() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<ErrorCode>> results = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      JdbcKeyStore via = t % 2 == 0 ? store : replica;
      results.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  via.createKey("race", KeySettings.NONE, secret(), clock.instant());
                  return null;
                } catch (KeyserverException e) {
                  return e.code();
                }
              }));
    }
    start.countDown();
    List<ErrorCode> codes = new ArrayList<>();
    for (Future<ErrorCode> f : results) {
      codes.add(f.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertEquals(1, codes.stream().filter(c -> c == null).count(), "codes " + codes);
    assertEquals(
        3, codes.stream().filter(c -> c == ErrorCode.ALREADY_EXISTS).count(), "codes " + codes);
  }

  @Test
  void concurrentPolicyPutsWithTheSameExpectedRevisionLetExactlyOneWin() throws Exception {
    store.putPolicy("rules: []", Optional.empty(), clock.instant());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      JdbcKeyStore via = t % 2 == 0 ? store : replica;
      String document = "rules: [] # " + t;
      results.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  via.putPolicy(document, Optional.of(1L), clock.instant());
                  return true;
                } catch (KeyserverException e) {
                  assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
                  return false;
                }
              }));
    }
    start.countDown();
    int won = 0;
    for (Future<Boolean> f : results) {
      won += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
    }
    pool.shutdown();
    assertEquals(1, won);
    assertEquals(2, replica.policy().orElseThrow().revision());
  }

  @Test
  void statesMinimumCountersAndMetadataAreSharedByReplicas() {
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    replica.addPrimaryVersion("k", v -> secret(), clock.instant());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        codeOf(() -> store.setVersionState("k", 2, VersionState.DISABLED, Optional.empty())));
    replica.setVersionState("k", 1, VersionState.DISABLED, Optional.empty());
    assertEquals(VersionState.DISABLED, store.findKey("k").orElseThrow().version(1).orElseThrow().state());
    store.setMinDecryptionVersion("k", 2);
    assertEquals(
        ErrorCode.FAILED_PRECONDITION, codeOf(() -> replica.setMinDecryptionVersion("k", 3)));
    store.addDataKeysIssued(Map.of("k", Map.of(2, 5L)));
    replica.addDataKeysIssued(Map.of("k", Map.of(2, 7L)));
    assertEquals(12, store.findKey("k").orElseThrow().version(2).orElseThrow().dataKeysIssued());
    byte[] value = {0, 1, 2, (byte) 0xff};
    store.putMetadata("m", value);
    replica.putMetadata("m", value);
    assertArrayEquals(value, replica.metadata("m").orElseThrow());
  }

  @Test
  void destroyErasesTheWrappedSecretRow() throws Exception {
    WrappedSecret first = secret();
    store.createKey("k", KeySettings.NONE, first, clock.instant());
    store.addPrimaryVersion("k", v -> secret(), clock.instant());
    store.setVersionState(
        "k", 1, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant().plusSeconds(60)));
    assertEquals(List.of(), replica.destroyDueVersions(clock.instant()));
    clock.advance(Duration.ofSeconds(60));
    List<KeyRecord> changed = replica.destroyDueVersions(clock.instant());
    assertEquals(1, changed.size());
    KeyVersionRecord destroyed = store.findKey("k").orElseThrow().version(1).orElseThrow();
    assertEquals(VersionState.DESTROYED, destroyed.state());
    assertEquals(Optional.empty(), destroyed.wrappedSecret());
    try (Connection c = database.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT wrapped_secret IS NULL, root_key_id IS NULL FROM key_versions"
                    + " WHERE key_name = 'k' AND version = 1")) {
      assertTrue(rs.next());
      assertTrue(rs.getBoolean(1));
      assertTrue(rs.getBoolean(2));
    }
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        codeOf(() -> store.setVersionState("k", 1, VersionState.ENABLED, Optional.empty())));
  }

  @Test
  void aDatabaseThatIsNotThereIsUnavailable() {
    KeyserverException e =
        assertThrows(
            KeyserverException.class,
            () -> Stores.open("postgresql://postgres@127.0.0.1:5432/kw_does_not_exist"));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    KeyserverException closed =
        assertThrows(
            KeyserverException.class,
            () -> {
              replica.close();
              replica.findKey("k");
            });
    assertEquals(ErrorCode.UNAVAILABLE, closed.code());
    replica = null;
  }

  @Test
  void locationsArePostgres() {
    assertEquals(
        "jdbc:postgresql://db.example:5432/keyward?user=kw",
        PostgresUrls.toJdbcUrl("postgresql://kw@db.example:5432/keyward"));
    assertEquals(
        "jdbc:postgresql://db/keyward?sslmode=require&user=kw",
        PostgresUrls.toJdbcUrl("postgres://kw@db/keyward?sslmode=require"));
    assertEquals(
        "jdbc:postgresql://db/keyward?user=a", PostgresUrls.toJdbcUrl("jdbc:postgresql://db/keyward?user=a"));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> PostgresUrls.toJdbcUrl("postgresql://kw:secret@db/keyward")));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> PostgresUrls.toJdbcUrl("jdbc:postgresql://db/keyward?password=x")));
    assertFalse(PostgresUrls.isPostgres("sqlite:/tmp/x.db"));
    assertEquals("jdbc:postgresql://db/keyward", PostgresUrls.describe("jdbc:postgresql://db/keyward?user=a"));
  }
}
