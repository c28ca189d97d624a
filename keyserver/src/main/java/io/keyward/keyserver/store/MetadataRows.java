package io.keyward.keyserver.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Reads and writes metadata rows on a connection, inside the caller's transaction. */
final class MetadataRows {
  private MetadataRows() {}

  static Optional<byte[]> get(Connection c, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT value FROM metadata WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    }
  }

  static Optional<String> text(Connection c, String name) throws SQLException {
    return get(c, name).map(v -> new String(v, StandardCharsets.UTF_8));
  }

  static void put(Connection c, String name, byte[] value) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO metadata (name, value) VALUES (?, ?)"
                + " ON CONFLICT (name) DO UPDATE SET value = excluded.value")) {
      s.setString(1, name);
      s.setBytes(2, value);
      s.executeUpdate();
    }
  }

  static void putText(Connection c, String name, String value) throws SQLException {
    put(c, name, value.getBytes(StandardCharsets.UTF_8));
  }

  static void delete(Connection c, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("DELETE FROM metadata WHERE name = ?")) {
      s.setString(1, name);
      s.executeUpdate();
    }
  }
}
