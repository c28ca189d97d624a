package io.keyward.keyserver.audit;

import io.keyward.keyserver.store.Database;
import io.keyward.keyserver.store.SqlWork;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Optional;

/**
 * How one audit batch is appended on each database: the transaction, how it excludes every other
 * appender (in this process and in other keyserver replicas) before it reads the chain head, and
 * how the records and the moved head are written. Every appender, on either database, reads the
 * head only after it excludes the others, and {@code seq} is the primary key: two appenders can
 * never store different records under one sequence number, so the chain cannot fork.
 */
enum AuditDialect {
  /** SQLite: the store's write transaction ({@code BEGIN IMMEDIATE}) holds the whole file. */
  SQLITE {
    @Override
    <T> T inAppendTransaction(Database db, SqlWork<T> work) throws SQLException {
      return db.inWriteTransaction(work);
    }

    @Override
    ChainHead lockHead(Connection c) throws SQLException {
      return ChainHead.current(c);
    }

    @Override
    void insert(Connection c, List<AuditRecord> records) throws SQLException {
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO audit_records (" + JdbcAuditLog.COLUMNS + ")"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (AuditRecord r : records) {
          AuditEvent e = r.event();
          s.setLong(1, r.sequence());
          s.setLong(2, ChainHash.micros(e.time()));
          s.setString(3, e.requestId());
          s.setString(4, e.caller().orElse(null));
          s.setString(5, e.operation());
          s.setString(6, e.keyName().orElse(null));
          if (e.keyVersion().isPresent()) {
            s.setInt(7, e.keyVersion().getAsInt());
          } else {
            s.setNull(7, Types.INTEGER);
          }
          s.setString(8, e.outcome());
          s.setString(9, r.previousHash());
          s.setString(10, r.hash());
          s.addBatch();
        }
        s.executeBatch();
      }
      AuditRecord last = records.get(records.size() - 1);
      try (PreparedStatement s = c.prepareStatement(ChainHead.UPSERT_ANCHOR)) {
        s.setLong(1, last.sequence());
        s.setString(2, last.hash());
        s.executeUpdate();
      }
    }
  },

  /**
   * PostgreSQL, where replicas take turns at the chain head, so the time an appender holds it
   * bounds the throughput of them all:
   *
   * <ul>
   *   <li>Appenders exclude each other by the row lock on the head anchor ({@code FOR UPDATE},
   *       which also returns the head as the previous holder committed it), not by the store's
   *       write lock: audit batches neither wait for key writes nor hold them up, and locking and
   *       reading the head is one round trip.
   *   <li>The records and the moved head are one statement, sent together with the commit, so
   *       the lock is released by the server without another round trip.
   *   <li>The commit does not wait for its WAL flush ({@code synchronous_commit = off} for this
   *       transaction only), so the next appender need not wait for our fsync; instead the same
   *       round trip then commits an empty transaction with the session's own {@code
   *       synchronous_commit} (a transaction id makes it write a commit record). Its flush covers
   *       every WAL record before it, ours included, and also waits for synchronous standbys.
   *       The callers are released only after that: an acknowledged record is as durable as with
   *       a synchronous commit. Another appender may see (and chain to) our records before they
   *       are flushed; WAL is flushed in order, so a crash can only lose a newest part of the
   *       chain, none of whose appends was acknowledged, and the chain stays verifiable.
   * </ul>
   *
   * <p>So a batch of any size costs two round trips, one of them under the lock, and the fsyncs
   * of several replicas can share one WAL flush.
   */
  POSTGRESQL {
    /** Bounds the wait for the head lock like {@code lock_timeout} bounds the store's write lock. */
    private static final int LOCK_WAIT_SECONDS = 10;

    private static final String WRITE_COMMIT_AND_FLUSH =
        "SET LOCAL synchronous_commit = off;"
            + " WITH head AS (" + ChainHead.UPSERT_ANCHOR + ")"
            + " INSERT INTO audit_records (" + JdbcAuditLog.COLUMNS + ")"
            + " SELECT * FROM unnest(?::int8[], ?::int8[], ?::text[], ?::text[], ?::text[],"
            + " ?::text[], ?::int4[], ?::text[], ?::text[], ?::text[]);"
            + " COMMIT;"
            + " SELECT pg_current_xact_id()";

    @Override
    <T> T inAppendTransaction(Database db, SqlWork<T> work) throws SQLException {
      return db.inTransactionWithoutWriteLock(work);
    }

    @Override
    ChainHead lockHead(Connection c) throws SQLException {
      String forUpdate = ChainHead.SELECT_ANCHOR + " FOR UPDATE";
      Optional<ChainHead> head = ChainHead.anchor(c, forUpdate, LOCK_WAIT_SECONDS);
      if (head.isPresent()) {
        return head.get();
      }
      // No anchor to lock: create it where the chain ends now. An appender doing the same at once
      // makes this insert wait for its commit and then do nothing; either way the row then exists.
      ChainHead start = ChainHead.afterNewestRecord(c);
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING")) {
        s.setQueryTimeout(LOCK_WAIT_SECONDS);
        s.setLong(1, start.sequence());
        s.setString(2, start.hash());
        s.executeUpdate();
      }
      return ChainHead.anchor(c, forUpdate, LOCK_WAIT_SECONDS)
          .orElseThrow(() -> new SQLException("the audit head anchor disappeared while appending"));
    }

    /** Also commits the append transaction, and returns only once that commit is durable. */
    @Override
    void insert(Connection c, List<AuditRecord> records) throws SQLException {
      int n = records.size();
      Long[] seq = new Long[n];
      Long[] time = new Long[n];
      String[] requestId = new String[n];
      String[] caller = new String[n];
      String[] operation = new String[n];
      String[] keyName = new String[n];
      Integer[] keyVersion = new Integer[n];
      String[] outcome = new String[n];
      String[] previousHash = new String[n];
      String[] hash = new String[n];
      for (int i = 0; i < n; i++) {
        AuditRecord r = records.get(i);
        AuditEvent e = r.event();
        seq[i] = r.sequence();
        time[i] = ChainHash.micros(e.time());
        requestId[i] = e.requestId();
        caller[i] = e.caller().orElse(null);
        operation[i] = e.operation();
        keyName[i] = e.keyName().orElse(null);
        keyVersion[i] = e.keyVersion().isPresent() ? e.keyVersion().getAsInt() : null;
        outcome[i] = e.outcome();
        previousHash[i] = r.previousHash();
        hash[i] = r.hash();
      }
      AuditRecord last = records.get(n - 1);
      try (PreparedStatement s = c.prepareStatement(WRITE_COMMIT_AND_FLUSH)) {
        s.setLong(1, last.sequence());
        s.setString(2, last.hash());
        Array[] columns = {
          c.createArrayOf("int8", seq), c.createArrayOf("int8", time),
          c.createArrayOf("text", requestId), c.createArrayOf("text", caller),
          c.createArrayOf("text", operation), c.createArrayOf("text", keyName),
          c.createArrayOf("int4", keyVersion), c.createArrayOf("text", outcome),
          c.createArrayOf("text", previousHash), c.createArrayOf("text", hash)
        };
        for (int i = 0; i < columns.length; i++) {
          s.setArray(3 + i, columns[i]);
        }
        // The driver reads every result before it returns and throws the first error: when the
        // insert fails, the server skips the rest and the transaction is rolled back.
        s.execute();
      }
    }
  };

  static AuditDialect of(Database db) {
    return db.isPostgres() ? POSTGRESQL : SQLITE;
  }

  /** Runs {@code work} in the transaction an append uses, and commits it. */
  abstract <T> T inAppendTransaction(Database db, SqlWork<T> work) throws SQLException;

  /**
   * Inside the append transaction: excludes every other appender until the transaction ends, then
   * returns the chain head as the last of them left it.
   */
  abstract ChainHead lockHead(Connection c) throws SQLException;

  /**
   * Inside the append transaction: stores {@code records} (in chain order) and moves the anchor to
   * the last. May commit the transaction itself, durably, instead of leaving that to the caller.
   */
  abstract void insert(Connection c, List<AuditRecord> records) throws SQLException;
}
