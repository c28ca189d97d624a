package io.keyward.keyserver.audit;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.Database;
import io.keyward.keyserver.store.SqlWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hash-chained {@link AuditLog} in the Keyward database, with group commit.
 *
 * <p>One writer thread drains the queue of pending appends; in one transaction it excludes every
 * other appender (see {@link AuditDialect}), reads the chain head, takes whatever else queued
 * meanwhile, chains the batch in order, inserts it and moves the head anchor (last sequence and
 * hash), commits (fsync), and only then releases the waiting callers. So a commit's fsync is shared
 * by every append that arrived while the previous one ran (here or, on PostgreSQL, in another
 * replica), and {@code append} still returns only once its record is on disk. When the write
 * fails, every caller of that batch gets {@code UNAVAILABLE}.
 *
 * <p>The chain detects edits, deletions and truncation by someone who does not recompute every
 * later hash; someone with write access who rewrites the whole tail (and the anchor) is not
 * detected. Exporting the head hash elsewhere now and then closes that gap.
 *
 * <p>Close order: close this log before the key store that owns the database.
 */
public final class JdbcAuditLog implements AuditLog {
  private static final Logger log = LoggerFactory.getLogger(JdbcAuditLog.class);

  static final int MAX_LIMIT = 1000;
  private static final String UNAVAILABLE = "audit log unavailable";
  private static final long IDLE_POLL_MILLIS = 100;
  static final String COLUMNS =
      "seq, event_time_us, request_id, caller, operation, key_name, key_version, outcome,"
          + " previous_hash, hash";

  private final Database db;
  private final AuditDialect dialect;
  private final AuditLogSettings settings;
  private final BlockingQueue<Pending> queue;
  private final Thread writer;
  private volatile boolean closed;

  private volatile long commits; // written by the writer thread only
  private volatile long committedRecords; // written by the writer thread only
  private final ChainHash writerHash = new ChainHash();

  private JdbcAuditLog(Database db, AuditLogSettings settings) {
    this.db = db;
    this.dialect = AuditDialect.of(db);
    this.settings = settings;
    this.queue = new LinkedBlockingQueue<>(settings.queueCapacity());
    this.writer = new Thread(this::writeLoop, "keyward-audit-writer");
    this.writer.setDaemon(true);
  }

  /**
   * Opens the audit log in {@code db} (the key store's database) with default settings: appends
   * wait at most 5 s for their commit.
   *
   * @throws KeyserverException UNAVAILABLE when the chain head cannot be read
   */
  public static JdbcAuditLog open(Database db) {
    return open(db, AuditLogSettings.DEFAULTS);
  }

  /** As {@link #open(Database)}, with explicit settings. */
  public static JdbcAuditLog open(Database db, AuditLogSettings settings) {
    JdbcAuditLog auditLog =
        new JdbcAuditLog(
            Objects.requireNonNull(db, "db"), Objects.requireNonNull(settings, "settings"));
    try {
      // Fail at start-up, not at the first call, when the log cannot be read.
      db.inReadSnapshot(ChainHead::current);
    } catch (SQLException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, e);
    }
    auditLog.writer.start();
    return auditLog;
  }

  /**
   * Appends {@code event} and returns once its record is committed and synced to disk. {@code
   * event.time()} is stored with microsecond precision.
   *
   * @throws KeyserverException UNAVAILABLE ("audit log unavailable") when the record was not
   *     written within the append timeout, the write failed, or the log is closed; the caller must
   *     then fail its operation. (After a timeout the record may still be written later: the log
   *     can hold a record of an operation that failed, never miss one that succeeded.)
   */
  @Override
  public void append(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    if (closed) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE);
    }
    Pending pending = new Pending(normalize(event));
    long timeoutNanos = settings.appendTimeout().toNanos();
    long deadline = System.nanoTime() + timeoutNanos;
    try {
      if (!queue.offer(pending, timeoutNanos, TimeUnit.NANOSECONDS)) {
        throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE);
      }
      // Closed after we queued: if the writer has not taken our record, it never will.
      if (closed && queue.remove(pending)) {
        throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE);
      }
      pending.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, e);
    } catch (TimeoutException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, e);
    } catch (ExecutionException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, e.getCause());
    }
  }

  /**
   * Queues {@code event} and returns at once; the future completes on the writer thread when the
   * batch holding the record is committed and synced. A full queue fails at once instead of
   * waiting (the caller may be an I/O thread).
   */
  @Override
  public CompletableFuture<Void> appendAsync(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    Pending pending = new Pending(normalize(event));
    if (closed || !queue.offer(pending) || (closed && queue.remove(pending))) {
      return CompletableFuture.failedFuture(new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE));
    }
    return pending.done
        .orTimeout(settings.appendTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(
            new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, unwrap(e))));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  @Override
  public List<AuditRecord> list(long afterSequence, int limit) {
    checkLimit(limit);
    if (afterSequence < 0) {
      throw KeyserverException.invalid("after-sequence must not be negative, got " + afterSequence);
    }
    return read(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT " + COLUMNS + " FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?")) {
            s.setLong(1, afterSequence);
            s.setInt(2, limit);
            return readAll(s);
          }
        });
  }

  @Override
  public List<AuditRecord> tail(int limit) {
    checkLimit(limit);
    List<AuditRecord> newestFirst =
        read(
            c -> {
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT " + COLUMNS + " FROM audit_records ORDER BY seq DESC LIMIT ?")) {
                s.setInt(1, limit);
                return readAll(s);
              }
            });
    List<AuditRecord> oldestFirst = new ArrayList<>(newestFirst);
    Collections.reverse(oldestFirst);
    return List.copyOf(oldestFirst);
  }

  /**
   * Walks the whole chain in sequence order over one consistent snapshot, holding one record at a
   * time. Reports the first record that was edited (hash does not match its fields), whose hash was
   * changed (the next record chains to something else), that is missing (sequence gap), or the
   * newest records gone (the head anchor is ahead of the last record).
   */
  @Override
  public ChainVerification verify() {
    try {
      return db.inReadSnapshot(JdbcAuditLog::walk);
    } catch (SQLException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, e);
    }
  }

  /**
   * Stops accepting appends, commits every append already queued, then stops the writer. An append
   * either returned normally (its record is committed) or threw; none is dropped. Does not close
   * the database.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      writer.join(settings.appendTimeout().toMillis() * 2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      log.error("audit writer did not stop in time; queued appends will time out");
    }
    log.info("audit log closed: {} records in {} commits", committedRecords, commits);
  }

  /** Transactions committed so far (each covering one batch): group commit, observable. */
  long commits() {
    return commits;
  }

  @Override
  public String toString() {
    return "JdbcAuditLog[" + db + "]";
  }

  // ---- writer thread

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    try {
      while (true) {
        Pending first = queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed) {
            break;
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, settings.maxBatchSize() - 1);
        commit(batch);
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      log.error("audit writer stopped unexpectedly", e);
      fail(batch, e);
    } finally {
      closed = true;
      List<Pending> left = new ArrayList<>();
      queue.drainTo(left);
      fail(left, null);
    }
  }

  private void commit(List<Pending> batch) {
    List<AuditRecord> records;
    try {
      // Other keyserver processes may append to the same database (PostgreSQL replicas): the head
      // is read inside the append transaction, after every other appender is excluded.
      records =
          dialect.inAppendTransaction(
              db,
              c -> {
                ChainHead head = dialect.lockHead(c);
                // What queued while this writer waited for the lock joins this commit: with
                // replicas taking turns, the wait is the other's commit, and the batch grows.
                queue.drainTo(batch, settings.maxBatchSize() - batch.size());
                List<AuditRecord> chained = chain(head, batch);
                dialect.insert(c, chained);
                return chained;
              });
    } catch (SQLException | RuntimeException e) {
      // Rolled back, or its outcome is unknown: the next batch reads the head again anyway.
      log.error("audit write failed; failing {} appends", batch.size(), e);
      fail(batch, e);
      return;
    }
    commits++;
    committedRecords += records.size();
    for (Pending p : batch) {
      p.done.complete(null);
    }
  }

  private List<AuditRecord> chain(ChainHead head, List<Pending> batch) {
    long sequence = head.sequence();
    String previous = head.hash();
    List<AuditRecord> chained = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      sequence++;
      String hash = writerHash.hash(previous, sequence, p.event);
      chained.add(new AuditRecord(sequence, p.event, previous, hash));
      previous = hash;
    }
    return chained;
  }

  private static void fail(List<Pending> pendings, Throwable cause) {
    for (Pending p : pendings) {
      p.done.completeExceptionally(
          cause != null ? cause : new IllegalStateException("audit log closed"));
    }
  }

  // ---- verification

  private static ChainVerification walk(Connection c) throws SQLException {
    Optional<ChainHead> head = ChainHead.anchor(c, ChainHead.SELECT_ANCHOR, 0);
    ChainHash chain = new ChainHash();
    long expected = 1;
    String previous = ChainHash.GENESIS;
    try (PreparedStatement s =
        c.prepareStatement("SELECT " + COLUMNS + " FROM audit_records ORDER BY seq")) {
      s.setFetchSize(500);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          AuditRecord r = readRecord(rs);
          long seq = r.sequence();
          long checked = expected - 1;
          if (seq != expected) {
            return broken(
                checked,
                expected,
                "record " + expected + " is missing (the next stored record is " + seq + ")");
          }
          if (!r.previousHash().equals(previous)) {
            boolean selfConsistent = chain.hash(r.previousHash(), seq, r.event()).equals(r.hash());
            return selfConsistent && seq > 1
                ? broken(
                    checked - 1,
                    seq - 1,
                    "record "
                        + (seq - 1)
                        + " was changed (record "
                        + seq
                        + " chains to another hash)")
                : broken(checked, seq, "record " + seq + " does not chain to record " + (seq - 1));
          }
          if (!chain.hash(previous, seq, r.event()).equals(r.hash())) {
            return broken(
                checked,
                seq,
                "record " + seq + " was altered (its hash does not match its fields)");
          }
          previous = r.hash();
          expected++;
        }
      }
    }
    long last = expected - 1;
    if (head.isEmpty()) {
      return last == 0
          ? intact(0)
          : broken(last - 1, last, "the audit head anchor is missing (newest records may be gone)");
    }
    ChainHead h = head.get();
    if (h.sequence() > last) {
      return broken(
          last,
          last + 1,
          "records "
              + (last + 1)
              + ".."
              + h.sequence()
              + " are missing (the newest records were deleted)");
    }
    if (h.sequence() < last) {
      return broken(
          h.sequence(),
          h.sequence() + 1,
          "record "
              + (h.sequence() + 1)
              + " is not covered by the head anchor (added outside the log)");
    }
    if (!h.hash().equals(previous)) {
      return broken(last - 1, last, "record " + last + " does not match the head anchor");
    }
    return intact(last);
  }

  private static ChainVerification intact(long checked) {
    return new ChainVerification(checked, OptionalLong.empty(), Optional.empty());
  }

  private static ChainVerification broken(long checked, long sequence, String reason) {
    return new ChainVerification(
        Math.max(0, checked), OptionalLong.of(sequence), Optional.of(reason));
  }

  // ---- reading

  private <T> T read(SqlWork<T> work) {
    try {
      return db.withConnection(work);
    } catch (SQLException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, UNAVAILABLE, e);
    }
  }

  private static List<AuditRecord> readAll(PreparedStatement s) throws SQLException {
    List<AuditRecord> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        out.add(readRecord(rs));
      }
    }
    return out;
  }

  private static AuditRecord readRecord(ResultSet rs) throws SQLException {
    int version = rs.getInt(7);
    OptionalInt keyVersion = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(version);
    AuditEvent event =
        new AuditEvent(
            Instant.EPOCH.plus(rs.getLong(2), ChronoUnit.MICROS),
            rs.getString(3),
            Optional.ofNullable(rs.getString(4)),
            rs.getString(5),
            Optional.ofNullable(rs.getString(6)),
            keyVersion,
            rs.getString(8));
    return new AuditRecord(rs.getLong(1), event, rs.getString(9), rs.getString(10));
  }

  private static void checkLimit(int limit) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw KeyserverException.invalid("limit must be within 1.." + MAX_LIMIT + ", got " + limit);
    }
  }

  /** The event as it will be stored and hashed: time truncated to microseconds. */
  private static AuditEvent normalize(AuditEvent e) {
    Instant time = e.time();
    try {
      ChainHash.micros(time);
    } catch (ArithmeticException ex) {
      throw KeyserverException.invalid("audit event time is out of range, got " + time);
    }
    Instant truncated = Instant.EPOCH.plus(ChainHash.micros(time), ChronoUnit.MICROS);
    return truncated.equals(time)
        ? e
        : new AuditEvent(
            truncated,
            e.requestId(),
            e.caller(),
            e.operation(),
            e.keyName(),
            e.keyVersion(),
            e.outcome());
  }

  private static final class Pending {
    final AuditEvent event;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Pending(AuditEvent event) {
      this.event = event;
    }
  }
}
