package io.keyward.keyserver.store;

import io.keyward.keyserver.KeyserverException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The store side of a root-key rotation: second wraps of every live version secret under the next
 * root key, kept beside the authoritative wraps until one transaction swaps them.
 *
 * <p>Until {@link #swap} commits, the authoritative wraps, the check value and the store's root key
 * id are untouched, so the current root key alone still opens everything, and keyservers holding
 * it keep serving. {@link #swap} then makes the next wraps authoritative in one transaction, taken
 * under the write lock that every version insert also takes: no version can slip in between, and
 * afterwards the next root key alone opens everything.
 */
public final class NextWraps {
  private static final String LIVE = "wrapped_secret IS NOT NULL";
  private static final String WITHOUT_NEXT =
      "(next_wrapped_secret IS NULL OR next_root_key_id IS NULL OR next_root_key_id <> ?)";

  private final JdbcKeyStore store;

  NextWraps(JdbcKeyStore store) {
    this.store = store;
  }

  /** A live version and its authoritative wrap, as read for re-wrapping. */
  public record Pending(String keyName, int version, WrappedSecret current) {}

  /** A next wrap made from {@code pending.current()}. */
  public record Staged(Pending pending, WrappedSecret next) {}

  /** Makes the next wrap of one version; may throw any unchecked exception to abandon the swap. */
  @FunctionalInterface
  public interface Rewrapper {
    WrappedSecret rewrap(Pending pending);
  }

  /**
   * What {@link #swap} did.
   *
   * @param versions live versions whose next wrap became authoritative
   * @param rewrappedInSwap of those, versions that had no next wrap yet (added meanwhile)
   * @param alreadyDone the store was already under the next root key (an earlier run swapped)
   */
  public record Swap(int versions, int rewrappedInSwap, boolean alreadyDone) {}

  /**
   * Where a store stands, for operators.
   *
   * @param liveVersions versions that hold a secret
   * @param staged of those, versions that already have their wrap under {@code nextRootKeyId}
   */
  public record Status(
      Optional<String> rootKeyId,
      Optional<String> nextRootKeyId,
      int liveVersions,
      int staged,
      List<String> retiredRootKeyIds) {}

  public Status status() {
    return store.snapshot(
        c -> {
          Optional<String> next = MetadataRows.text(c, RootKeyMetadata.NEXT_ID);
          int live = count(c, "SELECT COUNT(*) FROM key_versions WHERE " + LIVE, null);
          int staged =
              next.isEmpty()
                  ? 0
                  : count(
                      c,
                      "SELECT COUNT(*) FROM key_versions WHERE " + LIVE + " AND next_root_key_id = ?"
                          + " AND next_wrapped_secret IS NOT NULL",
                      next.get());
          return new Status(
              MetadataRows.text(c, RootKeyMetadata.ID),
              next,
              live,
              staged,
              List.copyOf(retired(c)));
        });
  }

  /**
   * Records a rotation from {@code currentId} to {@code nextId}, with the check value wrapped by
   * the next key. Idempotent: a rotation to the same key already in progress is resumed as it is.
   *
   * @throws KeyserverException FAILED_PRECONDITION when the store's root key is not {@code
   *     currentId}, or a rotation to another key is in progress
   */
  public void begin(String currentId, String nextId, byte[] nextCheck) {
    requireIds(currentId, nextId);
    Objects.requireNonNull(nextCheck, "nextCheck");
    store.write(
        c -> {
          requireStoreRootKey(c, currentId);
          Optional<String> inProgress = MetadataRows.text(c, RootKeyMetadata.NEXT_ID);
          if (inProgress.isPresent()) {
            if (!inProgress.get().equals(nextId)) {
              throw KeyserverException.precondition(
                  "a root-key rotation to root key " + inProgress.get() + " is in progress: finish"
                      + " it with that key, or abort it (root-key rotate --abort)");
            }
            return null;
          }
          clearNextWraps(c); // leftovers of an older keyserver's rotation, never authoritative
          MetadataRows.putText(c, RootKeyMetadata.ID, currentId);
          MetadataRows.put(c, RootKeyMetadata.NEXT_CHECK, nextCheck);
          MetadataRows.putText(c, RootKeyMetadata.NEXT_ID, nextId);
          return null;
        });
  }

  /**
   * Up to {@code limit} live versions without a wrap under {@code nextId}, in (key name, version)
   * order, after {@code after} when given: one pass over the store reads each version once.
   */
  public List<Pending> pending(String nextId, Optional<Pending> after, int limit) {
    Objects.requireNonNull(nextId, "nextId");
    Objects.requireNonNull(after, "after");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, got " + limit);
    }
    return store.read(
        c -> {
          String sql =
              "SELECT key_name, version, root_key_id, wrapped_secret FROM key_versions WHERE " + LIVE
                  + " AND " + WITHOUT_NEXT
                  + (after.isPresent() ? " AND (key_name > ? OR (key_name = ? AND version > ?))" : "")
                  + " ORDER BY key_name, version LIMIT ?";
          try (PreparedStatement s = c.prepareStatement(sql)) {
            int i = 1;
            s.setString(i++, nextId);
            if (after.isPresent()) {
              s.setString(i++, after.get().keyName());
              s.setString(i++, after.get().keyName());
              s.setInt(i++, after.get().version());
            }
            s.setInt(i, limit);
            return readPending(s);
          }
        });
  }

  /**
   * Stores next wraps in one transaction, each only if its version still holds the wrap it was
   * made from (a version destroyed meanwhile is skipped). Returns how many were stored.
   *
   * @throws KeyserverException FAILED_PRECONDITION when no rotation to {@code nextId} is in
   *     progress any more (finished or aborted meanwhile): nothing is stored
   */
  public int stage(String nextId, List<Staged> batch) {
    Objects.requireNonNull(nextId, "nextId");
    List<Staged> copy = List.copyOf(batch);
    for (Staged s : copy) {
      if (!s.next().rootKeyId().equals(nextId)) {
        throw new IllegalArgumentException("a next wrap is not under root key " + nextId);
      }
    }
    return store.write(
        c -> {
          requireInProgress(c, nextId);
          int stored = 0;
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE key_versions SET next_root_key_id = ?, next_wrapped_secret = ?"
                      + " WHERE key_name = ? AND version = ? AND root_key_id = ? AND wrapped_secret = ?"
                      + " AND " + WITHOUT_NEXT)) {
            for (Staged staged : copy) {
              Pending p = staged.pending();
              s.setString(1, nextId);
              s.setBytes(2, staged.next().ciphertext());
              s.setString(3, p.keyName());
              s.setInt(4, p.version());
              s.setString(5, p.current().rootKeyId());
              s.setBytes(6, p.current().ciphertext());
              s.setString(7, nextId);
              stored += s.executeUpdate();
            }
          }
          return stored;
        });
  }

  /**
   * The last step, in one transaction: gives every live version still without a next wrap one
   * ({@code stragglers}, called under the write lock: versions added meanwhile), makes the next
   * wraps authoritative, drops the old ones, stores the next check value and root key id, records
   * {@code oldId} as retired and ends the rotation. When anything fails, nothing changes.
   */
  public Swap swap(String oldId, String nextId, Rewrapper stragglers) {
    requireIds(oldId, nextId);
    Objects.requireNonNull(stragglers, "stragglers");
    Swap swap =
        store.write(
            c -> {
              Optional<String> inProgress = MetadataRows.text(c, RootKeyMetadata.NEXT_ID);
              if (inProgress.isEmpty()
                  && MetadataRows.text(c, RootKeyMetadata.ID).equals(Optional.of(nextId))) {
                return new Swap(0, 0, true);
              }
              requireInProgress(c, nextId);
              requireStoreRootKey(c, oldId);
              int rewrapped = stageStragglers(c, nextId, stragglers);
              int versions = update(c,
                  "UPDATE key_versions SET root_key_id = next_root_key_id,"
                      + " wrapped_secret = next_wrapped_secret, next_root_key_id = NULL,"
                      + " next_wrapped_secret = NULL WHERE " + LIVE);
              if (count(c, "SELECT COUNT(*) FROM key_versions WHERE " + LIVE
                  + " AND (root_key_id IS NULL OR root_key_id <> ?)", nextId) != 0) {
                throw new IllegalStateException("a version is not under the next root key after the swap");
              }
              byte[] nextCheck = MetadataRows.get(c, RootKeyMetadata.NEXT_CHECK)
                  .orElseThrow(() -> KeyserverException.precondition(
                      "the root-key rotation record has no check value; abort and rerun the rotation"));
              Set<String> retired = retired(c);
              retired.add(oldId);
              retired.remove(nextId); // rotating back to a retired key un-retires it
              MetadataRows.put(c, RootKeyMetadata.CHECK, nextCheck);
              MetadataRows.putText(c, RootKeyMetadata.ID, nextId);
              MetadataRows.putText(c, RootKeyMetadata.RETIRED, String.join("\n", retired));
              MetadataRows.delete(c, RootKeyMetadata.NEXT_ID);
              MetadataRows.delete(c, RootKeyMetadata.NEXT_CHECK);
              return new Swap(versions, rewrapped, false);
            });
    if (!swap.alreadyDone()) {
      store.flushErased(); // the old wraps are overwritten: keep no copy of them in the WAL
    }
    return swap;
  }

  /**
   * Ends a rotation that has not swapped yet: drops every next wrap and the rotation record. The
   * store stays under {@code currentId}. Returns false when no rotation was in progress.
   *
   * @throws KeyserverException FAILED_PRECONDITION when the store's root key is not {@code
   *     currentId}
   */
  public boolean abort(String currentId) {
    Objects.requireNonNull(currentId, "currentId");
    return store.write(
        c -> {
          requireStoreRootKey(c, currentId);
          boolean inProgress = MetadataRows.get(c, RootKeyMetadata.NEXT_ID).isPresent();
          clearNextWraps(c);
          MetadataRows.delete(c, RootKeyMetadata.NEXT_ID);
          MetadataRows.delete(c, RootKeyMetadata.NEXT_CHECK);
          return inProgress;
        });
  }

  private static int stageStragglers(Connection c, String nextId, Rewrapper stragglers)
      throws SQLException {
    List<Pending> missing;
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT key_name, version, root_key_id, wrapped_secret FROM key_versions WHERE " + LIVE
                + " AND " + WITHOUT_NEXT + " ORDER BY key_name, version")) {
      s.setString(1, nextId);
      missing = readPending(s);
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "UPDATE key_versions SET next_root_key_id = ?, next_wrapped_secret = ?"
                + " WHERE key_name = ? AND version = ?")) {
      for (Pending p : missing) {
        WrappedSecret next = stragglers.rewrap(p);
        if (!next.rootKeyId().equals(nextId)) {
          throw new IllegalStateException("a straggler was not wrapped under the next root key");
        }
        s.setString(1, nextId);
        s.setBytes(2, next.ciphertext());
        s.setString(3, p.keyName());
        s.setInt(4, p.version());
        s.executeUpdate();
      }
    }
    return missing.size();
  }

  private static List<Pending> readPending(PreparedStatement s) throws SQLException {
    List<Pending> rows = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        rows.add(new Pending(rs.getString(1), rs.getInt(2),
            new WrappedSecret(rs.getString(3), rs.getBytes(4))));
      }
    }
    return rows;
  }

  private static void requireInProgress(Connection c, String nextId) throws SQLException {
    Optional<String> inProgress = MetadataRows.text(c, RootKeyMetadata.NEXT_ID);
    if (!inProgress.equals(Optional.of(nextId))) {
      throw KeyserverException.precondition(
          "no root-key rotation to root key " + nextId + " is in progress"
              + inProgress.map(id -> " (one to " + id + " is)").orElse("")
              + ": it finished or was aborted meanwhile");
    }
  }

  private static void requireStoreRootKey(Connection c, String expected) throws SQLException {
    Optional<String> recorded = MetadataRows.text(c, RootKeyMetadata.ID);
    if (recorded.isPresent() && !recorded.get().equals(expected)) {
      throw KeyserverException.precondition(
          "this store is under root key " + recorded.get() + ", not " + expected);
    }
  }

  private static void clearNextWraps(Connection c) throws SQLException {
    update(c, "UPDATE key_versions SET next_root_key_id = NULL, next_wrapped_secret = NULL"
        + " WHERE next_root_key_id IS NOT NULL OR next_wrapped_secret IS NOT NULL");
  }

  private static Set<String> retired(Connection c) throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    for (String id : MetadataRows.text(c, RootKeyMetadata.RETIRED).orElse("").split("\n")) {
      if (!id.isBlank()) {
        ids.add(id.strip());
      }
    }
    return ids;
  }

  private static int update(Connection c, String sql) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      return s.executeUpdate();
    }
  }

  private static int count(Connection c, String sql, String parameter) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      if (parameter != null) {
        s.setString(1, parameter);
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void requireIds(String a, String b) {
    Objects.requireNonNull(a, "root key id");
    Objects.requireNonNull(b, "next root key id");
    if (a.equals(b)) {
      throw new IllegalArgumentException("the next root key is the current one (id " + a + ")");
    }
  }
}
