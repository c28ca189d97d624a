package io.keyward.keyserver.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of the audit chain: the sequence and hash of the last record, which the next record
 * chains to. Stored as the head anchor row ({@code audit_head}, id 1), moved in the same
 * transaction as the records it covers.
 */
record ChainHead(long sequence, String hash) {
  private static final Logger log = LoggerFactory.getLogger(ChainHead.class);

  /** The head of a log without records. */
  static final ChainHead EMPTY = new ChainHead(0, ChainHash.GENESIS);

  static final String SELECT_ANCHOR = "SELECT last_seq, last_hash FROM audit_head WHERE id = 1";

  /** Writes the anchor, or moves it: {@code (last_seq, last_hash)} as parameters 1 and 2. */
  static final String UPSERT_ANCHOR =
      "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, ?, ?)"
          + " ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq,"
          + " last_hash = excluded.last_hash";

  /** The anchor row read by {@code sql} (a form of {@link #SELECT_ANCHOR}), if there is one. */
  static Optional<ChainHead> anchor(Connection c, String sql, int timeoutSeconds) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setQueryTimeout(timeoutSeconds);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(new ChainHead(rs.getLong(1), rs.getString(2))) : Optional.empty();
      }
    }
  }

  /** The anchor, or where the chain goes on without one (see {@link #afterNewestRecord}). */
  static ChainHead current(Connection c) throws SQLException {
    Optional<ChainHead> anchor = anchor(c, SELECT_ANCHOR, 0);
    return anchor.isPresent() ? anchor.get() : afterNewestRecord(c);
  }

  /**
   * Without an anchor (a new log, or one whose anchor was removed) the chain goes on from the
   * newest record; {@code verify()} reports the missing anchor until the next append writes one.
   */
  static ChainHead afterNewestRecord(Connection c) throws SQLException {
    try (PreparedStatement s =
            c.prepareStatement("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1");
        ResultSet rs = s.executeQuery()) {
      if (!rs.next()) {
        return EMPTY;
      }
      log.error("audit head anchor is missing; continuing after record {}", rs.getLong(1));
      return new ChainHead(rs.getLong(1), rs.getString(2));
    }
  }
}
