package io.keyward.keyserver.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * One migrated Keyward database (an SQLite file or a PostgreSQL database), shared by the key store
 * and the audit log. Owns the connection pool; {@link #close()} releases it.
 *
 * <p>Connections: a small HikariCP pool, so that reads run concurrently (SQLite in WAL mode lets
 * readers proceed beside one writer), plus one in-process write lock around every write
 * transaction. SQLite admits a single writer anyway; taking the lock in Java first means our own
 * threads never meet {@code SQLITE_BUSY} and its sleeping back-off (up to 100 ms per retry). The
 * SQLite busy timeout still covers other processes (e.g. the CLI) that open the same file.
 *
 * <p>PostgreSQL: the same lock in Java, then a transaction-scoped advisory lock that every write
 * transaction takes first, so that writers in several keyserver processes on one database are
 * serialized exactly like writers on one SQLite file (see {@link Dialect#POSTGRESQL}). The audit
 * log's appends are the exception ({@link #inTransactionWithoutWriteLock}).
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private static final int POOL_SIZE = 8;
  private static final int BUSY_TIMEOUT_MILLIS = 5_000;
  private static final long CONNECTION_TIMEOUT_MILLIS = 5_000;
  private static final long WRITE_LOCK_TIMEOUT_MILLIS = 10_000;
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private final HikariDataSource dataSource;
  private final Dialect dialect;
  private final String description;
  private final ReentrantLock writeLock = new ReentrantLock();

  private Database(HikariDataSource dataSource, Dialect dialect, String description) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.description = description;
  }

  /**
   * Opens (creating if needed) and migrates the database at {@code location}: {@code
   * sqlite:/path/file.db}, {@code jdbc:sqlite:/path/file.db} or a plain file path. A new SQLite
   * file is created with mode 0600 where the file system supports POSIX permissions. Every write is
   * synced to disk before it is acknowledged (WAL, {@code synchronous=FULL}).
   *
   * @throws KeyserverException INVALID_ARGUMENT for a location that is not understood, UNAVAILABLE
   *     when the database cannot be opened or migrated (the cause says why)
   */
  public static Database open(String location) {
    if (location != null && PostgresUrls.isPostgres(location)) {
      return openPostgres(PostgresUrls.toJdbcUrl(location));
    }
    Path file = sqliteFile(location);
    createOwnerOnly(file);
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
    config.enforceForeignKeys(true);
    // Deleted or overwritten content (destroyed key versions) is zeroed, not left in free pages.
    config.setPragma(SQLiteConfig.Pragma.SECURE_DELETE, "true");
    SQLiteDataSource sqlite = new SQLiteDataSource(config);
    sqlite.setUrl("jdbc:sqlite:" + file);

    HikariConfig pool = new HikariConfig();
    pool.setPoolName("keyward-store");
    pool.setDataSource(sqlite);
    pool.setMaximumPoolSize(POOL_SIZE);
    pool.setMinimumIdle(1);
    pool.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
    pool.setAutoCommit(true);
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(pool);
    } catch (RuntimeException e) {
      throw KeyserverException.unavailable("cannot open the key store database " + file, e);
    }
    try {
      Flyway.configure()
          .dataSource(dataSource)
          .locations("classpath:db/migration")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      dataSource.close();
      throw KeyserverException.unavailable("cannot migrate the key store database " + file, e);
    }
    return new Database(dataSource, Dialect.SQLITE, "sqlite:" + file);
  }

  /**
   * Opens and migrates a PostgreSQL database ({@code jdbc:postgresql://...}). Commits are durable
   * when the server runs with its default {@code synchronous_commit=on}. Connection attempts and
   * statements are bounded (connect 5 s, socket 30 s), so a database that is down or hangs turns
   * into UNAVAILABLE instead of a stuck call.
   */
  private static Database openPostgres(String jdbcUrl) {
    String description = PostgresUrls.describe(jdbcUrl);
    HikariConfig pool = new HikariConfig();
    pool.setPoolName("keyward-store");
    pool.setJdbcUrl(jdbcUrl);
    pool.setMaximumPoolSize(POOL_SIZE);
    pool.setMinimumIdle(1);
    pool.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
    pool.setAutoCommit(true);
    pool.addDataSourceProperty("connectTimeout", "5");
    pool.addDataSourceProperty("socketTimeout", "30");
    pool.addDataSourceProperty("tcpKeepAlive", "true");
    pool.addDataSourceProperty("ApplicationName", "keyward-keyserver");
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(pool);
    } catch (RuntimeException e) {
      throw KeyserverException.unavailable("cannot open the key store database " + description, e);
    }
    try {
      // Several replicas may start at once: Flyway serializes migrations with its own lock.
      Flyway.configure()
          .dataSource(dataSource)
          .locations("classpath:db/migration")
          .load()
          .migrate();
    } catch (RuntimeException e) {
      dataSource.close();
      throw KeyserverException.unavailable(
          "cannot migrate the key store database " + description, e);
    }
    return new Database(dataSource, Dialect.POSTGRESQL, description);
  }

  /** The pooled data source, for reads in auto-commit mode. Do not close it; close this instead. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** Runs {@code work} on a pooled auto-commit connection. */
  public <T> T withConnection(SqlWork<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    }
  }

  /**
   * Runs {@code work} in one write transaction that excludes every other writer from its start
   * (in-process lock, then SQLite {@code BEGIN IMMEDIATE} or the PostgreSQL write advisory lock),
   * and commits it. When {@code work}
   * throws, the transaction is rolled back and the exception rethrown: nothing of it is stored.
   */
  public <T> T inWriteTransaction(SqlWork<T> work) throws SQLException {
    try {
      if (!writeLock.tryLock(WRITE_LOCK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new SQLException("timed out waiting for the database write lock");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for the database write lock", e);
    }
    try (Connection c = dataSource.getConnection()) {
      dialect.beginWrite(c);
      return runAndCommit(c, work);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * PostgreSQL only: runs {@code work} in one READ COMMITTED transaction that does not take the
   * write lock, and commits it; when {@code work} throws, it is rolled back. For a writer whose
   * rows no other writer touches and that excludes its own kind with a row lock (the audit chain
   * head): it then neither waits for key writes nor holds them up.
   *
   * @throws IllegalStateException on SQLite, where every write takes the write lock
   */
  public <T> T inTransactionWithoutWriteLock(SqlWork<T> work) throws SQLException {
    if (dialect != Dialect.POSTGRESQL) {
      throw new IllegalStateException("only PostgreSQL writes without the write lock");
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      return runAndCommit(c, work);
    }
  }

  /** True when this is a PostgreSQL database (several keyserver processes may share it). */
  public boolean isPostgres() {
    return dialect == Dialect.POSTGRESQL;
  }

  /** Runs {@code work} in one read-only transaction that sees a single consistent snapshot. */
  public <T> T inReadSnapshot(SqlWork<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      dialect.beginSnapshot(c);
      return runAndCommit(c, work);
    }
  }

  Dialect dialect() {
    return dialect;
  }

  private <T> T runAndCommit(Connection c, SqlWork<T> work) throws SQLException {
    T result;
    try {
      result = work.run(c);
      dialect.commit(c);
    } catch (SQLException | RuntimeException | Error e) {
      try {
        dialect.rollback(c);
      } catch (SQLException rollbackFailure) {
        e.addSuppressed(rollbackFailure);
        // The connection's transaction state is unknown: never hand it out again.
        dataSource.evictConnection(c);
      }
      throw e;
    }
    return result;
  }

  /** Releases the pool. Later calls fail with UNAVAILABLE through the closed data source. */
  @Override
  public void close() {
    dataSource.close();
  }

  @Override
  public String toString() {
    return "Database[" + description + "]";
  }

  static Path sqliteFile(String location) {
    if (location == null || location.isBlank()) {
      throw KeyserverException.invalid("store location must not be empty");
    }
    String path = location.strip();
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.startsWith("jdbc:sqlite:")) {
      path = path.substring("jdbc:sqlite:".length());
    } else if (lower.startsWith("sqlite:")) {
      path = path.substring("sqlite:".length());
    } else if (lower.startsWith("jdbc:") || lower.startsWith("postgres") || lower.contains("://")) {
      throw KeyserverException.invalid(
          "store location must be sqlite:/path/to/file.db or a file path, got " + location);
    }
    if (path.isEmpty() || path.startsWith(":memory:") || path.startsWith("file:")) {
      throw KeyserverException.invalid(
          "store location must name an SQLite file (not memory or a URI), got " + location);
    }
    try {
      return Path.of(path).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw KeyserverException.invalid("store location is not a valid path: " + location);
    }
  }

  /** Creates a missing database file (and parent directories) so only the owner can read it. */
  private static void createOwnerOnly(Path file) {
    boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
    try {
      Path parent = file.getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        if (posix) {
          Files.createDirectories(
              parent,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
          Files.createDirectories(parent);
        }
      }
      if (posix) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException e) {
      warnIfShared(file, posix);
    } catch (IOException | UnsupportedOperationException e) {
      throw KeyserverException.unavailable("cannot create the key store database " + file, e);
    }
  }

  private static void warnIfShared(Path file, boolean posix) {
    if (!posix || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(perms)) {
        log.warn(
            "key store database {} has mode {}; chmod 600 it (it holds wrapped keys and the audit"
                + " log)",
            file,
            PosixFilePermissions.toString(perms));
      }
    } catch (IOException e) {
      log.debug("cannot read permissions of {}", file, e);
    }
  }

  /**
   * The error a failed statement means to a caller: a unique violation (SQLSTATE 23505) is
   * ALREADY_EXISTS; anything else (connection lost, serialization failure, timeout, database down)
   * is UNAVAILABLE, and the caller may retry.
   */
  static KeyserverException unavailable(SQLException e) {
    if ("23505".equals(e.getSQLState())) {
      return new KeyserverException(ErrorCode.ALREADY_EXISTS, "already exists", e);
    }
    return new KeyserverException(ErrorCode.UNAVAILABLE, "key store unavailable", e);
  }
}
