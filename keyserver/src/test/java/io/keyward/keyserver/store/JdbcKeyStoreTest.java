package io.keyward.keyserver.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.testing.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcKeyStoreTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  private Path file;
  private JdbcKeyStore store;
  private final FakeClock clock = FakeClock.startingAt2026();

  @BeforeEach
  void open() {
    file = dir.resolve("keyward.db");
    store = Stores.open("sqlite:" + file);
  }

  @AfterEach
  void close() {
    store.close();
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
  void createFindAndList() {
    WrappedSecret first = secret();
    KeySettings settings =
        new KeySettings(Optional.of(Duration.ofDays(30)), OptionalLong.of(1_000_000));
    KeyRecord created = store.createKey("payments", settings, first, clock.instant());
    store.createKey("alpha", KeySettings.NONE, secret(), clock.instant());

    assertEquals(1, created.primaryVersion());
    assertEquals(1, created.minDecryptionVersion());
    assertEquals(settings, created.settings());
    assertEquals(clock.instant(), created.createdAt());
    KeyVersionRecord v1 = created.primary();
    assertEquals(VersionState.ENABLED, v1.state());
    assertEquals(Optional.of(first), v1.wrappedSecret());
    assertEquals(Optional.of(created), store.findKey("payments"));
    assertEquals(Optional.empty(), store.findKey("missing"));
    assertEquals(
        List.of("alpha", "payments"), store.listKeys().stream().map(KeyRecord::name).toList());
    assertEquals(created, store.listKeys().get(1));
  }

  @Test
  void duplicateCreateIsAlreadyExistsAndChangesNothing() {
    WrappedSecret first = secret();
    store.createKey("k", KeySettings.NONE, first, clock.instant());
    assertEquals(
        ErrorCode.ALREADY_EXISTS,
        codeOf(() -> store.createKey("k", KeySettings.NONE, secret(), clock.instant())));
    assertEquals(Optional.of(first), store.findKey("k").orElseThrow().primary().wrappedSecret());
  }

  @Test
  void badInputIsRejected() {
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> store.createKey("", KeySettings.NONE, secret(), clock.instant())));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> store.createKey("a\nb", KeySettings.NONE, secret(), clock.instant())));
    KeySettings negative =
        new KeySettings(Optional.of(Duration.ofSeconds(-5)), OptionalLong.empty());
    KeyserverException e =
        assertThrows(
            KeyserverException.class,
            () -> store.createKey("k", negative, secret(), clock.instant()));
    assertEquals(
        "rotation period must be a positive whole number of seconds, got PT-5S", e.getMessage());
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> store.setVersionState("k", 0, VersionState.DISABLED, Optional.empty())));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> store.addDataKeysIssued(Map.of("k", Map.of(1, -1L)))));
  }

  @Test
  void rotationAddsPrimaryVersions() {
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    clock.advance(Duration.ofHours(1));
    WrappedSecret second = secret();
    KeyRecord rotated = store.addPrimaryVersion("k", v -> second, clock.instant());
    assertEquals(2, rotated.primaryVersion());
    assertEquals(
        List.of(1, 2), rotated.versions().stream().map(KeyVersionRecord::version).toList());
    assertEquals(Optional.of(second), rotated.primary().wrappedSecret());
    assertEquals(clock.instant(), rotated.primary().createdAt());
    assertEquals(VersionState.ENABLED, rotated.version(1).orElseThrow().state());
    assertEquals(
        ErrorCode.NOT_FOUND,
        codeOf(() -> store.addPrimaryVersion("nope", v -> secret(), clock.instant())));
  }

  @Test
  void concurrentRotationsYieldDistinctVersionsAndOnePrimary() throws Exception {
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    int threads = 8;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<Integer>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Callable<List<Integer>> task =
          () -> {
            start.await();
            List<Integer> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
              mine.add(store.addPrimaryVersion("k", v -> secret(), clock.instant()).primaryVersion());
            }
            return mine;
          };
      futures.add(pool.submit(task));
    }
    start.countDown();
    Set<Integer> seen = new HashSet<>();
    for (Future<List<Integer>> f : futures) {
      for (int v : f.get(60, TimeUnit.SECONDS)) {
        assertTrue(seen.add(v), "version " + v + " handed out twice");
      }
    }
    pool.shutdown();
    KeyRecord key = store.findKey("k").orElseThrow();
    assertEquals(threads * perThread + 1, key.versions().size());
    assertEquals(201, key.primaryVersion());
    assertEquals(
        key.versions().stream().map(KeyVersionRecord::version).toList(),
        java.util.stream.IntStream.rangeClosed(1, 201).boxed().toList());
    try (Connection c = raw();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT COUNT(DISTINCT primary_version), MAX(primary_version) FROM"
                        + " named_keys")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
      assertEquals(201, rs.getInt(2));
    }
  }

  @Test
  void stateTransitionsAndRefusals() {
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    store.addPrimaryVersion("k", v -> secret(), clock.instant());

    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        codeOf(() -> store.setVersionState("k", 2, VersionState.DISABLED, Optional.empty())));
    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        codeOf(
            () ->
                store.setVersionState(
                    "k", 2, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant()))));
    assertEquals(
        ErrorCode.NOT_FOUND,
        codeOf(() -> store.setVersionState("k", 3, VersionState.DISABLED, Optional.empty())));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(
            () -> store.setVersionState("k", 1, VersionState.DESTROY_SCHEDULED, Optional.empty())));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> store.setVersionState("k", 1, VersionState.DESTROYED, Optional.empty())));

    assertEquals(
        VersionState.DISABLED,
        store
            .setVersionState("k", 1, VersionState.DISABLED, Optional.empty())
            .version(1)
            .orElseThrow()
            .state());
    assertEquals(
        VersionState.ENABLED,
        store
            .setVersionState("k", 1, VersionState.ENABLED, Optional.empty())
            .version(1)
            .orElseThrow()
            .state());

    Instant at = clock.instant().plus(Duration.ofDays(1));
    KeyVersionRecord scheduled =
        store
            .setVersionState("k", 1, VersionState.DESTROY_SCHEDULED, Optional.of(at))
            .version(1)
            .orElseThrow();
    assertEquals(VersionState.DESTROY_SCHEDULED, scheduled.state());
    assertEquals(Optional.of(at), scheduled.destroyAt());

    assertEquals(List.of(), store.destroyDueVersions(clock.instant()));
    clock.set(at);
    List<KeyRecord> destroyed = store.destroyDueVersions(clock.instant());
    assertEquals(1, destroyed.size());
    KeyVersionRecord gone = destroyed.get(0).version(1).orElseThrow();
    assertEquals(VersionState.DESTROYED, gone.state());
    assertEquals(Optional.empty(), gone.wrappedSecret());

    assertEquals(
        ErrorCode.FAILED_PRECONDITION,
        codeOf(() -> store.setVersionState("k", 1, VersionState.ENABLED, Optional.empty())));
    assertEquals(
        VersionState.DESTROYED, store.findKey("k").orElseThrow().version(1).orElseThrow().state());
  }

  @Test
  void minDecryptionVersionStaysWithinOneToPrimary() {
    store.createKey("k", KeySettings.NONE, secret(), clock.instant());
    store.addPrimaryVersion("k", v -> secret(), clock.instant());
    assertEquals(2, store.setMinDecryptionVersion("k", 2).minDecryptionVersion());
    assertEquals(1, store.setMinDecryptionVersion("k", 1).minDecryptionVersion());
    assertEquals(
        ErrorCode.FAILED_PRECONDITION, codeOf(() -> store.setMinDecryptionVersion("k", 3)));
    assertEquals(
        ErrorCode.FAILED_PRECONDITION, codeOf(() -> store.setMinDecryptionVersion("k", 0)));
    assertEquals(ErrorCode.NOT_FOUND, codeOf(() -> store.setMinDecryptionVersion("x", 1)));
    assertEquals(1, store.findKey("k").orElseThrow().minDecryptionVersion());
  }

  @Test
  void destroyErasesTheWrappedSecretFromTheFile() throws Exception {
    WrappedSecret doomed = secret();
    store.createKey("k", KeySettings.NONE, doomed, clock.instant());
    store.addPrimaryVersion("k", v -> secret(), clock.instant());
    assertTrue(containsBytes(doomed.ciphertext()), "precondition: the secret is on disk");

    store.setVersionState("k", 1, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant()));
    store.destroyDueVersions(clock.instant());

    try (Connection c = raw();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT wrapped_secret, root_key_id, state FROM key_versions WHERE key_name = 'k'"
                    + " AND version = 1")) {
      try (ResultSet rs = s.executeQuery()) {
        assertTrue(rs.next());
        assertNull(rs.getBytes(1));
        assertNull(rs.getString(2));
        assertEquals("DESTROYED", rs.getString(3));
      }
    }
    assertFalse(
        containsBytes(doomed.ciphertext()), "wrapped secret bytes still in the database files");
  }

  @Test
  void dataKeyCountersAddUp() {
    store.createKey("a", KeySettings.NONE, secret(), clock.instant());
    store.addPrimaryVersion("a", v -> secret(), clock.instant());
    store.createKey("b", KeySettings.NONE, secret(), clock.instant());
    store.addDataKeysIssued(Map.of("a", Map.of(1, 5L, 2, 7L), "b", Map.of(1, 1L)));
    store.addDataKeysIssued(Map.of("a", Map.of(2, 3L), "gone", Map.of(1, 9L)));
    store.addDataKeysIssued(Map.of());
    KeyRecord a = store.findKey("a").orElseThrow();
    assertEquals(5, a.version(1).orElseThrow().dataKeysIssued());
    assertEquals(10, a.version(2).orElseThrow().dataKeysIssued());
    assertEquals(1, store.findKey("b").orElseThrow().primary().dataKeysIssued());
  }

  @Test
  void policyRevisionsAreChecked() {
    assertEquals(Optional.empty(), store.policy());
    StoredPolicy first = store.putPolicy("doc: 1", Optional.of(0L), clock.instant());
    assertEquals(new StoredPolicy("doc: 1", 1, clock.instant()), first);
    clock.advance(Duration.ofMinutes(1));
    assertEquals(2, store.putPolicy("doc: 2", Optional.empty(), clock.instant()).revision());
    KeyserverException stale =
        assertThrows(
            KeyserverException.class,
            () -> store.putPolicy("doc: 3", Optional.of(1L), clock.instant()));
    assertEquals(ErrorCode.FAILED_PRECONDITION, stale.code());
    assertEquals("policy revision is 2, expected 1", stale.getMessage());
    assertEquals(Optional.of(new StoredPolicy("doc: 2", 2, clock.instant())), store.policy());
    assertEquals(3, store.putPolicy("doc: 3", Optional.of(2L), clock.instant()).revision());
  }

  @Test
  void metadataRoundTrips() {
    assertEquals(Optional.empty(), store.metadata("check"));
    store.putMetadata("check", new byte[] {1, 2, 3});
    store.putMetadata("check", new byte[] {4, 5});
    assertArrayEquals(new byte[] {4, 5}, store.metadata("check").orElseThrow());
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        codeOf(() -> store.putMetadata("big", new byte[JdbcKeyStore.MAX_METADATA_BYTES + 1])));
  }

  @Test
  void everythingSurvivesAReopen() {
    WrappedSecret first = secret();
    store.createKey("k", KeySettings.NONE, first, clock.instant());
    KeyRecord rotated = store.addPrimaryVersion("k", v -> secret(), clock.instant());
    store.addDataKeysIssued(Map.of("k", Map.of(2, 42L)));
    store.putPolicy("doc", Optional.empty(), clock.instant());
    store.putMetadata("m", new byte[] {9});
    store.close();

    store = Stores.open(file.toString());
    KeyRecord reopened = store.findKey("k").orElseThrow();
    assertEquals(2, reopened.primaryVersion());
    assertEquals(rotated.versions().get(0), reopened.versions().get(0));
    assertEquals(42, reopened.primary().dataKeysIssued());
    assertEquals("doc", store.policy().orElseThrow().document());
    assertArrayEquals(new byte[] {9}, store.metadata("m").orElseThrow());
  }

  @Test
  void newDatabaseFilesAreOwnerOnly() throws IOException {
    store.putMetadata("m", new byte[] {1});
    for (Path p : List.of(file, Path.of(file + "-wal"), Path.of(file + "-shm"))) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
          p.toString());
    }
  }

  @Test
  void garbageFileIsUnavailable() throws IOException {
    Path garbage = dir.resolve("garbage.db");
    byte[] noise = new byte[8192];
    RANDOM.nextBytes(noise);
    Files.write(garbage, noise);
    KeyserverException e =
        assertThrows(KeyserverException.class, () -> Stores.open("sqlite:" + garbage));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getCause() != null);
  }

  @Test
  void unwritableLocationIsUnavailable() throws IOException {
    Path notADirectory = dir.resolve("plain-file");
    Files.writeString(notADirectory, "x");
    assertEquals(
        ErrorCode.UNAVAILABLE, codeOf(() -> Stores.open(notADirectory.resolve("k.db").toString())));
    assertEquals(ErrorCode.UNAVAILABLE, codeOf(() -> Stores.open("jdbc:sqlite:" + dir)));
  }

  @Test
  void locationsAreParsed() {
    assertEquals(Path.of("/x/k.db"), Database.sqliteFile("sqlite:/x/k.db"));
    assertEquals(Path.of("/x/k.db"), Database.sqliteFile("jdbc:sqlite:/x/k.db"));
    assertEquals(Path.of("/x/k.db"), Database.sqliteFile("/x/k.db"));
    assertEquals(
        ErrorCode.INVALID_ARGUMENT, codeOf(() -> Database.sqliteFile("postgresql://db/keyward")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> Database.sqliteFile("sqlite::memory:")));
    assertEquals(ErrorCode.INVALID_ARGUMENT, codeOf(() -> Database.sqliteFile(" ")));
  }

  @Test
  void closedStoreIsUnavailable() {
    store.close();
    KeyserverException e = assertThrows(KeyserverException.class, () -> store.findKey("k"));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals("key store unavailable", e.getMessage());
    assertTrue(e.getCause() instanceof SQLException);
  }

  private Connection raw() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file);
  }

  /** Searches the database file and its WAL for {@code needle}. */
  private boolean containsBytes(byte[] needle) throws IOException {
    for (Path p : List.of(file, Path.of(file + "-wal"))) {
      if (Files.exists(p) && indexOf(Files.readAllBytes(p), needle) >= 0) {
        return true;
      }
    }
    return false;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
