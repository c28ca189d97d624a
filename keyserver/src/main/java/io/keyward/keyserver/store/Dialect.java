package io.keyward.keyserver.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The few places where SQLite and PostgreSQL need different SQL. Everything else (DDL included) is
 * written once in portable SQL.
 */
enum Dialect {
  /**
   * SQLite: a write transaction starts with {@code BEGIN IMMEDIATE}, which takes the database write
   * lock up front, so a read-then-write (max version + 1) cannot interleave with another writer.
   * Issued as plain statements on an auto-commit connection: the xerial driver's own IMMEDIATE mode
   * re-opens a transaction right after every commit, which would hold the write lock while the
   * connection idles in the pool.
   */
  SQLITE {
    @Override
    void beginWrite(Connection c) throws SQLException {
      exec(c, "BEGIN IMMEDIATE");
    }

    @Override
    void beginSnapshot(Connection c) throws SQLException {
      exec(c, "BEGIN DEFERRED"); // a WAL read transaction sees one snapshot until it ends
    }

    @Override
    void commit(Connection c) throws SQLException {
      exec(c, "COMMIT");
    }

    @Override
    void rollback(Connection c) throws SQLException {
      exec(c, "ROLLBACK");
    }

    @Override
    String lockKeyRowSql() {
      return null; // BEGIN IMMEDIATE already holds the database write lock
    }

    /**
     * Copies the pages into the main file and truncates the WAL, so old page images (which still
     * hold the erased values) leave the files now rather than at some later checkpoint. With {@code
     * secure_delete} on, the freed space in the main file is already zeroed.
     */
    @Override
    boolean flushErased(Connection c) throws SQLException {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
        return rs.next() && rs.getInt(1) == 0; // first column: 1 when blocked by a reader
      }
    }
  },

  /**
   * PostgreSQL: a write transaction takes a transaction-scoped advisory lock first, so writers in
   * every keyserver process on the database run one after another, like SQLite writers. That keeps
   * every read-then-write (next version number, policy revision) correct across replicas without
   * retry loops; write transactions are short and rare next to reads. Reads run in REPEATABLE READ
   * snapshots and never wait for writers. (Audit appends, one per request batch, lock the chain
   * head row instead: see the audit package.)
   */
  POSTGRESQL {
    /** Arbitrary constant naming Keyward's write lock ("kw" in ASCII, then a version). */
    private static final long WRITE_LOCK_ID = 0x6b77_0001L;

    @Override
    void beginWrite(Connection c) throws SQLException {
      c.setAutoCommit(false);
      exec(c, "SET LOCAL lock_timeout = '10s'");
      try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        s.setLong(1, WRITE_LOCK_ID);
        s.executeQuery().close();
      }
    }

    @Override
    void beginSnapshot(Connection c) throws SQLException {
      c.setAutoCommit(false);
      exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    }

    @Override
    void commit(Connection c) throws SQLException {
      c.commit();
      c.setAutoCommit(true);
    }

    @Override
    void rollback(Connection c) throws SQLException {
      c.rollback();
      c.setAutoCommit(true);
    }

    /** Redundant under the advisory lock, but keeps the key row locked if that ever changes. */
    @Override
    String lockKeyRowSql() {
      return "SELECT name FROM named_keys WHERE name = ? FOR UPDATE";
    }

    /**
     * Removes the dead row versions that still hold erased secrets from the table's pages. Freed
     * space is not zeroed and the write-ahead log and base backups keep old pages until they are
     * recycled: see docs/operations-storage.md.
     */
    @Override
    boolean flushErased(Connection c) throws SQLException {
      exec(c, "VACUUM key_versions");
      return true;
    }
  };

  abstract void beginWrite(Connection c) throws SQLException;

  /** Starts a read-only transaction that sees one consistent snapshot. */
  abstract void beginSnapshot(Connection c) throws SQLException;

  abstract void commit(Connection c) throws SQLException;

  abstract void rollback(Connection c) throws SQLException;

  /**
   * A statement taking a row lock on {@code named_keys(name = ?)} inside a write transaction, or
   * null when the transaction already excludes other writers.
   */
  abstract String lockKeyRowSql();

  /**
   * After erasing values (destroyed key versions), makes sure no old copy stays in the database
   * files. Runs outside any transaction. Returns false when that could not be completed now.
   */
  abstract boolean flushErased(Connection c) throws SQLException;

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
