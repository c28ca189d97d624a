package io.keyward.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CPU time used so far by the PostgreSQL backends that serve one database (the keyservers'
 * connections), read from {@code /proc/PID/stat}: with SQLite the database work runs inside the
 * keyserver's threads and is in their CPU share, with PostgreSQL it runs in these processes.
 * Only for a server on this machine; PostgreSQL's own background processes (WAL writer,
 * checkpointer) are left out.
 */
final class PostgresBackendCpu implements LongSupplier, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostgresBackendCpu.class);
  /** /proc reports utime and stime in USER_HZ ticks, 100 per second on Linux. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final Connection monitor;
  private final String database;

  private PostgresBackendCpu(Connection monitor, String database) {
    this.monitor = monitor;
    this.database = database;
  }

  /** A sampler for {@code database}, or empty when its backends' /proc entries cannot be read here. */
  static Optional<PostgresBackendCpu> open(String adminJdbcUrl, String database) {
    if (!Files.isReadable(Path.of("/proc/self/stat"))) {
      return Optional.empty();
    }
    try {
      PostgresBackendCpu cpu = new PostgresBackendCpu(DriverManager.getConnection(adminJdbcUrl), database);
      return cpu.getAsLong() >= 0 ? Optional.of(cpu) : cpu.closeEmpty();
    } catch (SQLException e) {
      log.warn("cannot watch the CPU of PostgreSQL's backends: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** CPU nanoseconds of the database's current backends; -1 when one of them is not visible here. */
  @Override
  public long getAsLong() {
    long ticks = 0;
    try {
      for (long pid : backendPids()) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.isReadable(stat)) {
          return -1; // another machine or another PID namespace
        }
        ticks += cpuTicks(Files.readString(stat));
      }
    } catch (SQLException | IOException | RuntimeException e) {
      return -1;
    }
    return ticks * NANOS_PER_TICK;
  }

  /** utime + stime: fields 14 and 15, counted after the parenthesised command name. */
  static long cpuTicks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private List<Long> backendPids() throws SQLException {
    List<Long> pids = new ArrayList<>();
    try (PreparedStatement s = monitor.prepareStatement(
        "SELECT pid FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
      s.setString(1, database);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getLong(1));
        }
      }
    }
    return pids;
  }

  private Optional<PostgresBackendCpu> closeEmpty() {
    close();
    return Optional.empty();
  }

  @Override
  public void close() {
    try {
      monitor.close();
    } catch (SQLException e) {
      log.debug("closing the CPU monitor connection", e);
    }
  }
}
