package io.keyward.bench;

import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.PostgresUrls;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store of one load run: an SQLite file in the run's folder, or a fresh PostgreSQL database
 * ({@code kw_bench_<random>}) created on the given server and dropped when the run ends, so that
 * every run starts empty and leaves nothing behind.
 */
final class BenchStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BenchStore.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String location;
  private final String adminJdbcUrl; // null for SQLite
  private final String database;
  private final Optional<PostgresBackendCpu> backendCpu;

  private BenchStore(String location, String adminJdbcUrl, String database, Optional<PostgresBackendCpu> backendCpu) {
    this.location = location;
    this.adminJdbcUrl = adminJdbcUrl;
    this.database = database;
    this.backendCpu = backendCpu;
  }

  static BenchStore open(LoadOptions options, Path dir) throws SQLException {
    return options.store() == LoadOptions.Store.SQLITE
        ? new BenchStore(sqliteLocation(dir), null, null, Optional.empty())
        : createPostgres(options.postgresUrl());
  }

  static String sqliteLocation(Path dir) {
    return "sqlite:" + dir.resolve("keyward.db");
  }

  /**
   * CPU nanoseconds used so far outside the keyserver's JVM by the database: PostgreSQL's
   * backends when the server runs on this machine; -1 otherwise (SQLite runs inside the JVM).
   */
  long externalCpuNanos() {
    return backendCpu.isPresent() ? backendCpu.get().getAsLong() : -1;
  }

  /** The {@code store:} value every keyserver of the run is configured with. */
  String location() {
    return location;
  }

  /**
   * Checks the form of a PostgreSQL server URL: {@code postgresql://[user@]host[:port][/db][?params]}
   * or {@code jdbc:postgresql://...}, without a password.
   *
   * @return {@code url} unchanged
   * @throws IllegalArgumentException saying what is wrong
   */
  static String checkPostgresUrl(String url) {
    if (url == null || !PostgresUrls.isPostgres(url) || !url.contains("://")) {
      throw new IllegalArgumentException("--postgres-url must be postgresql://user@host:port/db or"
          + " jdbc:postgresql://host:port/db?user=..., got '" + url + "'");
    }
    try {
      PostgresUrls.toJdbcUrl(url);
    } catch (KeyserverException e) {
      throw new IllegalArgumentException("--postgres-url: " + e.getMessage());
    }
    return url;
  }

  private static BenchStore createPostgres(String serverUrl) throws SQLException {
    String name = "kw_bench_" + HexFormat.of().formatHex(randomBytes(6));
    String adminJdbcUrl = PostgresUrls.toJdbcUrl(serverUrl);
    try (Connection c = DriverManager.getConnection(adminJdbcUrl);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    log.info("created database {} for this run", name);
    return new BenchStore(withDatabase(serverUrl, name), adminJdbcUrl, name,
        PostgresBackendCpu.open(adminJdbcUrl, name));
  }

  /** {@code url} naming {@code database} instead of the one it named (its parameters kept). */
  static String withDatabase(String url, String database) {
    int authorityStart = url.indexOf("://") + 3;
    int query = url.indexOf('?', authorityStart);
    int end = query < 0 ? url.length() : query;
    int slash = url.indexOf('/', authorityStart);
    int authorityEnd = slash < 0 || slash > end ? end : slash;
    return url.substring(0, authorityEnd) + "/" + database + url.substring(end);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Drops the PostgreSQL database, disconnecting whoever still uses it. */
  @Override
  public void close() {
    if (adminJdbcUrl == null) {
      return; // the SQLite file goes with the run's folder
    }
    backendCpu.ifPresent(PostgresBackendCpu::close);
    try (Connection c = DriverManager.getConnection(adminJdbcUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (SQLException e) {
      log.warn("could not drop database {}: {}", database, e.getMessage());
    }
  }

  @Override
  public String toString() {
    return database == null ? location : "postgresql database " + database;
  }
}
