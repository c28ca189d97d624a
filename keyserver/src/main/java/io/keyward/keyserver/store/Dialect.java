package io.keyward.keyserver.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The few places where SQLite and PostgreSQL need different SQL. Everything else (DDL included)
 * is written once in portable SQL.
 */
enum Dialect {
  /**
   * SQLite: a write transaction starts with {@code BEGIN IMMEDIATE}, which takes the database
   * write lock up front, so a read-then-write (max version + 1) cannot interleave with another
   * writer. Issued as plain statements on an auto-commit connection: the xerial driver's own
   * IMMEDIATE mode re-opens a transaction right after every commit, which would hold the write
   * lock while the connection idles in the pool.
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
  };

  abstract void beginWrite(Connection c) throws SQLException;

  /** Starts a read-only transaction that sees one consistent snapshot. */
  abstract void beginSnapshot(Connection c) throws SQLException;

  abstract void commit(Connection c) throws SQLException;

  abstract void rollback(Connection c) throws SQLException;

  /**
   * A statement taking a row lock on {@code named_keys(name = ?)} inside a write transaction, or
   * null when the transaction already excludes other writers. (PostgreSQL will use
   * {@code SELECT name FROM named_keys WHERE name = ? FOR UPDATE}.)
   */
  abstract String lockKeyRowSql();

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
