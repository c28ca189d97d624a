package io.keyward.keyserver.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.PostgresDatabases;
import io.keyward.keyserver.store.Stores;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit log on PostgreSQL as replicas use it: two logs, each with its own pool (as two
 * keyserver processes have), appending to one chain in one database.
 */
class PostgresAuditLogTest {
  private final TestAuditEvents events = new TestAuditEvents();
  private PostgresDatabases.TestDatabase database;
  private JdbcKeyStore storeA;
  private JdbcKeyStore storeB;
  private JdbcAuditLog a;
  private JdbcAuditLog b;

  @BeforeEach
  void open() {
    database = PostgresDatabases.create();
    storeA = Stores.open(database.location());
    storeB = Stores.open(database.location());
    a = JdbcAuditLog.open(storeA.database());
    b = JdbcAuditLog.open(storeB.database());
  }

  @AfterEach
  void close() {
    for (AutoCloseable c : new AutoCloseable[] {b, a, storeB, storeA, database}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void twoLogsAppendingAtOnceKeepOneChainWithEveryAcknowledgedRecord() throws Exception {
    int threadsPerLog = 16;
    int perThread = 150;
    ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerLog);
    CountDownLatch start = new CountDownLatch(1);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    List<Future<?>> futures = new ArrayList<>();
    for (JdbcAuditLog log : List.of(a, b)) {
      for (int t = 0; t < threadsPerLog; t++) {
        futures.add(pool.submit(() -> {
          start.await(); // both logs begin on an empty chain: both race to create the anchor
          for (int i = 0; i < perThread; i++) {
            AuditEvent e = events.next();
            log.append(e);
            acknowledged.add(e.requestId());
          }
          return null;
        }));
      }
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();

    int total = 2 * threadsPerLog * perThread;
    assertEquals(new ChainVerification(total, OptionalLong.empty(), Optional.empty()), a.verify());
    assertEquals(acknowledged, storedRequestIds());
    assertEquals(total, acknowledged.size());
    // Both logs wrote, in shared commits (group commit), not one transaction per record.
    assertTrue(a.commits() > 0 && b.commits() > 0, a.commits() + " and " + b.commits() + " commits");
    assertTrue(a.commits() + b.commits() <= total / 2, (a.commits() + b.commits()) + " commits for " + total);
  }

  @Test
  void appendLeavesThePooledConnectionsCommittingSynchronously() throws SQLException {
    for (int i = 0; i < 20; i++) {
      a.append(events.next());
    }
    // The chain write turns synchronous_commit off for its own transaction only; key writes on
    // the same pooled connections must still wait for their flush.
    for (int i = 0; i < 8; i++) {
      assertEquals("on", storeA.database().withConnection(c -> {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
          rs.next();
          return rs.getString(1);
        }
      }));
    }
  }

  @Test
  void failedWriteFailsEveryAppendOfTheBatchAndTheChainGoesOnAfterwards() throws Exception {
    for (int i = 0; i < 5; i++) {
      a.append(events.next());
    }
    sql("CREATE FUNCTION audit_sink_down() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE TRIGGER audit_sink_down BEFORE INSERT ON audit_records"
            + " FOR EACH ROW EXECUTE FUNCTION audit_sink_down()");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<ErrorCode>> results = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      JdbcAuditLog log = i % 2 == 0 ? a : b;
      results.add(pool.submit(
          () -> assertThrows(KeyserverException.class, () -> log.append(events.next())).code()));
    }
    for (Future<ErrorCode> r : results) {
      assertEquals(ErrorCode.UNAVAILABLE, r.get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertEquals(5, storedRequestIds().size());

    sql("DROP TRIGGER audit_sink_down ON audit_records");
    b.append(events.next());
    a.append(events.next());
    assertEquals(new ChainVerification(7, OptionalLong.empty(), Optional.empty()), b.verify());
  }

  @Test
  void aHeadHeldByAnotherReplicaFailsTheAppendWithinItsTimeout() throws Exception {
    a.append(events.next());
    try (JdbcAuditLog impatient = JdbcAuditLog.open(storeB.database(),
            AuditLogSettings.builder().appendTimeout(Duration.ofMillis(500)).build());
        Connection stuck = database.connect()) {
      stuck.setAutoCommit(false);
      try (Statement s = stuck.createStatement()) {
        s.executeQuery("SELECT last_seq FROM audit_head WHERE id = 1 FOR UPDATE").close();
      }
      KeyserverException e = assertThrows(KeyserverException.class, () -> impatient.append(events.next()));
      assertEquals(ErrorCode.UNAVAILABLE, e.code());
      stuck.rollback();
      impatient.append(events.next());
    }
    // The timed-out append may still have been written after its caller gave up (never the
    // reverse); either way the chain is whole.
    assertTrue(a.verify().intact());
  }

  @Test
  void aMissingAnchorIsReportedThenRewrittenAfterTheNewestRecord() throws SQLException {
    for (int i = 0; i < 3; i++) {
      a.append(events.next());
    }
    sql("DELETE FROM audit_head");
    assertEquals(OptionalLong.of(3), a.verify().firstBrokenSequence());

    b.append(events.next());
    a.append(events.next());
    assertEquals(new ChainVerification(5, OptionalLong.empty(), Optional.empty()), a.verify());
  }

  private Set<String> storedRequestIds() throws SQLException {
    Set<String> stored = new HashSet<>();
    try (Connection c = database.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT request_id FROM audit_records")) {
      while (rs.next()) {
        stored.add(rs.getString(1));
      }
    }
    return stored;
  }

  private void sql(String... statements) throws SQLException {
    try (Connection c = database.connect(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }
}
