package io.keyward.keyserver.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcAuditLogTest {
  @TempDir Path dir;
  private Path file;
  private JdbcKeyStore store;
  private JdbcAuditLog audit;
  private final TestAuditEvents events = new TestAuditEvents();

  @BeforeEach
  void open() {
    file = dir.resolve("keyward.db");
    store = Stores.open("sqlite:" + file);
    audit = JdbcAuditLog.open(store.database());
  }

  @AfterEach
  void close() {
    audit.close();
    store.close();
  }

  private AuditEvent event() {
    return events.next();
  }

  private void appendMany(int count) {
    for (int i = 0; i < count; i++) {
      audit.append(event());
    }
  }

  @Test
  void appendedRecordsAreListedInOrderAndChained() {
    AuditEvent first = event();
    audit.append(first);
    appendMany(9);
    List<AuditRecord> all = audit.list(0, 1000);
    assertEquals(10, all.size());
    assertEquals(first, all.get(0).event());
    assertEquals(1, all.get(0).sequence());
    assertEquals("0".repeat(64), all.get(0).previousHash());
    for (int i = 1; i < all.size(); i++) {
      assertEquals(i + 1, all.get(i).sequence());
      assertEquals(all.get(i - 1).hash(), all.get(i).previousHash());
    }
    assertEquals(all.subList(3, 5), audit.list(3, 2));
    assertEquals(all.subList(7, 10), audit.tail(3));
    assertTrue(audit.verify().intact());
    assertEquals(10, audit.verify().recordsChecked());
  }

  @Test
  void timeIsStoredWithMicrosecondPrecision() {
    Instant t = Instant.parse("2026-01-01T00:00:00.123456789Z");
    audit.append(
        new AuditEvent(
            t, "r", Optional.empty(), "Decrypt", Optional.empty(), OptionalInt.empty(), "OK"));
    assertEquals(Instant.parse("2026-01-01T00:00:00.123456Z"), audit.tail(1).get(0).event().time());
    assertTrue(audit.verify().intact());
  }

  @Test
  void limitsAreValidated() {
    for (int bad : new int[] {0, -1, 1001}) {
      assertEquals(
          ErrorCode.INVALID_ARGUMENT,
          assertThrows(KeyserverException.class, () -> audit.tail(bad)).code());
      assertEquals(
          ErrorCode.INVALID_ARGUMENT,
          assertThrows(KeyserverException.class, () -> audit.list(0, bad)).code());
    }
    assertEquals(
        ErrorCode.INVALID_ARGUMENT,
        assertThrows(KeyserverException.class, () -> audit.list(-1, 10)).code());
    assertEquals(List.of(), audit.tail(1000));
  }

  @Test
  void chainVerifiesAfterManyConcurrentAppends() throws Exception {
    int threads = 16;
    int perThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      futures.add(
          pool.submit(
              () -> {
                start.await();
                appendMany(perThread);
                return null;
              }));
    }
    long began = System.nanoTime();
    start.countDown();
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    System.out.printf(
        "audit: %d appends from %d threads in %.2f s (%.0f/s)%n",
        threads * perThread, threads, seconds, threads * perThread / seconds);
    pool.shutdown();

    ChainVerification v = audit.verify();
    assertEquals(
        new ChainVerification(threads * perThread, OptionalLong.empty(), Optional.empty()), v);
    Set<String> ids = new HashSet<>();
    long after = 0;
    for (List<AuditRecord> page = audit.list(after, 1000);
        !page.isEmpty();
        page = audit.list(after, 1000)) {
      page.forEach(r -> ids.add(r.event().requestId()));
      after = page.get(page.size() - 1).sequence();
    }
    assertEquals(threads * perThread, ids.size());
  }

  @Test
  void concurrentAppendsShareCommits() throws Exception {
    int threads = 64;
    int perThread = 400;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      futures.add(
          pool.submit(
              () -> {
                start.await();
                appendMany(perThread);
                return null;
              }));
    }
    long began = System.nanoTime();
    start.countDown();
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    pool.shutdown();
    int total = threads * perThread;
    long commits = audit.commits();
    System.out.printf(
        "audit: %d appends from %d threads in %.2f s (%.0f/s), %d commits (%.1f records each)%n",
        total, threads, seconds, total / seconds, commits, (double) total / commits);
    assertEquals(total, audit.tail(1).get(0).sequence());
    // One fsync per record would be `total` commits; group commit shares each among many callers.
    assertTrue(commits <= total / 4, commits + " commits for " + total + " appends");
  }

  @Test
  void editedFieldIsDetectedAndNamed() throws SQLException {
    appendMany(20);
    sql(
        "UPDATE audit_records SET outcome = CASE outcome WHEN 'OK' THEN 'PERMISSION_DENIED' ELSE"
            + " 'OK' END WHERE seq = 11");
    ChainVerification v = audit.verify();
    assertEquals(OptionalLong.of(11), v.firstBrokenSequence());
    assertEquals(10, v.recordsChecked());
    assertTrue(
        v.reason().orElseThrow().contains("record 11 was altered"), v.reason().orElseThrow());
  }

  @Test
  void editedFieldWithRecomputedHashIsNamed() throws SQLException {
    appendMany(20);
    // A forger edits record 7 and recomputes its own hash, but not the rest of the chain.
    AuditRecord original = audit.list(6, 1).get(0);
    AuditEvent e = original.event();
    AuditEvent forged =
        new AuditEvent(
            e.time(),
            e.requestId(),
            Optional.of("someone-else"),
            e.operation(),
            e.keyName(),
            e.keyVersion(),
            e.outcome());
    String hash = new ChainHash().hash(original.previousHash(), 7, forged);
    sql("UPDATE audit_records SET caller = 'someone-else', hash = '" + hash + "' WHERE seq = 7");
    ChainVerification v = audit.verify();
    assertEquals(OptionalLong.of(7), v.firstBrokenSequence());
    assertTrue(v.reason().orElseThrow().contains("record 7 was changed"), v.reason().orElseThrow());
  }

  @Test
  void changedHashIsDetected() throws SQLException {
    appendMany(5);
    sql("UPDATE audit_records SET hash = '" + "ab".repeat(32) + "' WHERE seq = 3");
    assertEquals(OptionalLong.of(3), audit.verify().firstBrokenSequence());
  }

  @Test
  void deletedMiddleRecordIsDetected() throws SQLException {
    appendMany(10);
    sql("DELETE FROM audit_records WHERE seq = 4");
    ChainVerification v = audit.verify();
    assertEquals(OptionalLong.of(4), v.firstBrokenSequence());
    assertTrue(v.reason().orElseThrow().contains("record 4 is missing"), v.reason().orElseThrow());
  }

  @Test
  void deletedAndRenumberedRecordIsDetected() throws SQLException {
    appendMany(6);
    sql(
        "DELETE FROM audit_records WHERE seq = 4",
        "UPDATE audit_records SET seq = seq - 1 WHERE seq > 4");
    assertEquals(OptionalLong.of(4), audit.verify().firstBrokenSequence());
  }

  @Test
  void deletedNewestRecordsAreDetected() throws SQLException {
    appendMany(10);
    sql("DELETE FROM audit_records WHERE seq >= 9");
    ChainVerification v = audit.verify();
    assertEquals(OptionalLong.of(9), v.firstBrokenSequence());
    assertEquals(8, v.recordsChecked());
    assertTrue(
        v.reason().orElseThrow().contains("newest records were deleted"), v.reason().orElseThrow());
  }

  @Test
  void missingHeadAnchorIsDetected() throws SQLException {
    appendMany(3);
    sql("DELETE FROM audit_head");
    assertEquals(OptionalLong.of(3), audit.verify().firstBrokenSequence());
  }

  @Test
  void chainContinuesAcrossRestart() {
    appendMany(5);
    audit.close();
    store.close();
    store = Stores.open(file.toString());
    audit = JdbcAuditLog.open(store.database());
    appendMany(5);
    assertEquals(10, audit.tail(1).get(0).sequence());
    assertTrue(audit.verify().intact());
  }

  @Test
  void failedWriteFailsEveryAppendAndAcknowledgesNothing() throws Exception {
    appendMany(5);
    sql(
        "CREATE TRIGGER audit_sink_down BEFORE INSERT ON audit_records"
            + " BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<ErrorCode>> results = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      results.add(
          pool.submit(
              () -> assertThrows(KeyserverException.class, () -> audit.append(event())).code()));
    }
    for (Future<ErrorCode> r : results) {
      assertEquals(ErrorCode.UNAVAILABLE, r.get(30, TimeUnit.SECONDS));
    }
    KeyserverException e = assertThrows(KeyserverException.class, () -> audit.append(event()));
    assertEquals("audit log unavailable", e.getMessage());
    assertTrue(e.getCause() instanceof SQLException);
    assertEquals(5, count());

    sql("DROP TRIGGER audit_sink_down");
    appendMany(3);
    assertEquals(8, count());
    assertTrue(audit.verify().intact());
    pool.shutdown();
  }

  @Test
  void stuckSinkFailsAppendWithinTheTimeout() throws Exception {
    audit.close();
    audit =
        JdbcAuditLog.open(
            store.database(),
            AuditLogSettings.builder().appendTimeout(Duration.ofMillis(300)).build());
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService blocker = Executors.newSingleThreadExecutor();
    Future<?> held =
        blocker.submit(
            () ->
                store
                    .database()
                    .inWriteTransaction(
                        c -> {
                          holding.countDown();
                          awaitUninterruptibly(release);
                          return null;
                        }));
    assertTrue(holding.await(10, TimeUnit.SECONDS));
    long began = System.nanoTime();
    KeyserverException e = assertThrows(KeyserverException.class, () -> audit.append(event()));
    long waitedMillis = (System.nanoTime() - began) / 1_000_000;
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(
        e.getCause() instanceof java.util.concurrent.TimeoutException,
        String.valueOf(e.getCause()));
    assertTrue(waitedMillis < 5_000, "waited " + waitedMillis + " ms");
    release.countDown();
    held.get(10, TimeUnit.SECONDS);
    blocker.shutdown();
    audit.append(event());
    assertTrue(audit.verify().intact());
  }

  @Test
  void closeCommitsOrFailsEveryPendingAppend() throws Exception {
    int threads = 32;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger failed = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch running = new CountDownLatch(threads * 20);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      futures.add(
          pool.submit(
              () -> {
                while (!stop.get()) {
                  AuditEvent e = event();
                  try {
                    audit.append(e);
                    acknowledged.add(e.requestId());
                  } catch (KeyserverException ex) {
                    assertEquals(ErrorCode.UNAVAILABLE, ex.code());
                    failed.incrementAndGet();
                    if (failed.get() > 1000) {
                      return null;
                    }
                  }
                  running.countDown();
                }
                return null;
              }));
    }
    assertTrue(running.await(60, TimeUnit.SECONDS));
    audit.close();
    stop.set(true);
    for (Future<?> f : futures) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThrows(KeyserverException.class, () -> audit.append(event()));

    Set<String> stored = new HashSet<>();
    try (Connection c = raw();
        ResultSet rs = c.createStatement().executeQuery("SELECT request_id FROM audit_records")) {
      while (rs.next()) {
        stored.add(rs.getString(1));
      }
    }
    assertEquals(acknowledged, stored);
    assertFalse(acknowledged.isEmpty());
    try (JdbcAuditLog reopened = JdbcAuditLog.open(store.database())) {
      assertTrue(reopened.verify().intact());
    }
  }

  @Test
  void settingsAreValidated() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AuditLogSettings.builder().appendTimeout(Duration.ofSeconds(-5)).build());
    assertEquals("audit append timeout must be positive, got PT-5S", e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> AuditLogSettings.builder().maxBatchSize(0).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> AuditLogSettings.builder().maxBatchSize(100).queueCapacity(10).build());
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private long count() throws SQLException {
    try (Connection c = raw();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM audit_records")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void sql(String... statements) throws SQLException {
    try (Connection c = raw();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.executeUpdate(sql);
      }
    }
  }

  private Connection raw() throws SQLException {
    return DriverManager.getConnection("jdbc:sqlite:" + file);
  }
}
