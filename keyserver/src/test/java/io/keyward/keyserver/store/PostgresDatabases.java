package io.keyward.keyserver.store;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

/**
 * Test databases on the machine's PostgreSQL (127.0.0.1:5432, trust auth, user {@code postgres}).
 * Each test gets its own {@code kw_<random>} database, dropped on close. When PostgreSQL is not
 * reachable the test is skipped, unless the environment variable CI is set: then it fails.
 */
public final class PostgresDatabases {
  public static final String HOST = "127.0.0.1";
  public static final int PORT = 5432;
  private static final String ADMIN_URL =
      "jdbc:postgresql://" + HOST + ":" + PORT + "/postgres?user=postgres&connectTimeout=5";
  private static final SecureRandom RANDOM = new SecureRandom();

  private PostgresDatabases() {}

  /** A fresh empty database; skips or fails the test when PostgreSQL is down (see above). */
  public static TestDatabase create() {
    requireReachable();
    byte[] suffix = new byte[6];
    RANDOM.nextBytes(suffix);
    String name = "kw_" + HexFormat.of().formatHex(suffix);
    try (Connection c = DriverManager.getConnection(ADMIN_URL);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new AssertionError("cannot create test database " + name, e);
    }
    return new TestDatabase(name);
  }

  /** True when PostgreSQL accepts connections now. */
  public static boolean reachable() {
    try (Connection c = DriverManager.getConnection(ADMIN_URL)) {
      return c.isValid(5);
    } catch (SQLException e) {
      return false;
    }
  }

  public static void requireReachable() {
    if (reachable()) {
      return;
    }
    String ci = System.getenv("CI");
    if (ci != null && !ci.isEmpty()) {
      fail("PostgreSQL is not reachable on " + HOST + ":" + PORT + " and CI is set");
    }
    assumeTrue(false, "PostgreSQL is not reachable on " + HOST + ":" + PORT + "; skipped");
  }

  /** One test database; {@link #close()} drops it, disconnecting whoever still uses it. */
  public static final class TestDatabase implements AutoCloseable {
    private final String name;

    private TestDatabase(String name) {
      this.name = name;
    }

    public String name() {
      return name;
    }

    /** The store location in the form operators write in the configuration. */
    public String location() {
      return "postgresql://postgres@" + HOST + ":" + PORT + "/" + name;
    }

    /** A plain JDBC connection to this database (for inspecting rows in tests). */
    public Connection connect() throws SQLException {
      return DriverManager.getConnection(
          "jdbc:postgresql://" + HOST + ":" + PORT + "/" + name + "?user=postgres");
    }

    @Override
    public void close() {
      try (Connection c = DriverManager.getConnection(ADMIN_URL);
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (SQLException e) {
        // A leftover kw_* database is harmless; the test result is what matters.
        System.err.println("cannot drop test database " + name + ": " + e.getMessage());
      }
    }
  }
}
