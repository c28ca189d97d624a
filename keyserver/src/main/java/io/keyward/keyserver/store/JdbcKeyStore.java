package io.keyward.keyserver.store;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KeyStore} over a {@link Database}. Every mutation runs in one write transaction that
 * excludes other writers from its first statement, and is synced to disk before the method returns.
 * Reads of a key (the key row and its versions) see one snapshot.
 *
 * <p>Times are stored with microsecond precision: returned records carry the stored (truncated)
 * instants. Closing this store closes its database.
 */
public final class JdbcKeyStore implements KeyStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcKeyStore.class);

  static final int MAX_NAME_LENGTH = 256;
  static final int MAX_METADATA_BYTES = 64 * 1024;
  static final int MAX_POLICY_CHARS = 1024 * 1024;

  private static final String KEY_COLUMNS =
      "name, created_at_us, primary_version, min_decryption_version, rotation_period_s,"
          + " rotate_after_data_keys";
  private static final String VERSION_COLUMNS =
      "key_name, version, state, created_at_us, destroy_at_us, data_keys_issued, root_key_id,"
          + " wrapped_secret";

  private final Database db;

  /** Takes ownership of {@code db}: {@link #close()} closes it. */
  public JdbcKeyStore(Database db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** The database this store lives in, to put the audit log beside it. */
  public Database database() {
    return db;
  }

  @Override
  public KeyRecord createKey(
      String name, KeySettings settings, SecretWrapper firstVersion, Instant now) {
    requireName(name);
    requireSettings(settings);
    Objects.requireNonNull(firstVersion, "firstVersion");
    long nowUs = micros(now, "now");
    return write(
        c -> {
          if (loadKey(c, name).isPresent()) {
            throw new KeyserverException(
                ErrorCode.ALREADY_EXISTS, "key " + name + " already exists");
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO named_keys (" + KEY_COLUMNS + ") VALUES (?, ?, 1, 1, ?, ?)")) {
            s.setString(1, name);
            s.setLong(2, nowUs);
            setNullableLong(s, 3, settings.rotationPeriod().map(Duration::getSeconds));
            setNullableLong(s, 4, boxed(settings.rotateAfterDataKeys()));
            s.executeUpdate();
          }
          insertVersion(c, name, 1, nowUs, wrapForStore(c, firstVersion, 1));
          return requireKey(c, name);
        });
  }

  @Override
  public Optional<KeyRecord> findKey(String name) {
    requireName(name);
    return snapshot(c -> loadKey(c, name));
  }

  @Override
  public List<KeyRecord> listKeys() {
    return snapshot(
        c -> {
          Map<String, List<KeyVersionRecord>> versions = new LinkedHashMap<>();
          try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT "
                          + VERSION_COLUMNS
                          + " FROM key_versions ORDER BY key_name, version");
              ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              versions
                  .computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                  .add(readVersion(rs));
            }
          }
          List<KeyRecord> keys = new ArrayList<>();
          try (PreparedStatement s =
                  c.prepareStatement("SELECT " + KEY_COLUMNS + " FROM named_keys ORDER BY name");
              ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              keys.add(readKey(rs, versions.getOrDefault(rs.getString(1), List.of())));
            }
          }
          return List.copyOf(keys);
        });
  }

  @Override
  public KeyRecord addPrimaryVersion(String name, SecretWrapper secretForVersion, Instant now) {
    requireName(name);
    Objects.requireNonNull(secretForVersion, "secretForVersion");
    long nowUs = micros(now, "now");
    return write(
        c -> {
          lockKeyRow(c, name);
          KeyRecord key = requireKey(c, name);
          int max = key.versions().get(key.versions().size() - 1).version();
          if (max == Integer.MAX_VALUE) {
            throw KeyserverException.precondition("key " + name + " has no version number left");
          }
          int next = max + 1;
          insertVersion(c, name, next, nowUs, wrapForStore(c, secretForVersion, next));
          try (PreparedStatement s =
              c.prepareStatement("UPDATE named_keys SET primary_version = ? WHERE name = ?")) {
            s.setInt(1, next);
            s.setString(2, name);
            s.executeUpdate();
          }
          return requireKey(c, name);
        });
  }

  @Override
  public KeyRecord setVersionState(
      String name, int version, VersionState state, Optional<Instant> destroyAt) {
    requireName(name);
    requireVersionNumber(version);
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(destroyAt, "destroyAt");
    if (state == VersionState.DESTROYED) {
      throw KeyserverException.invalid(
          "a version cannot be destroyed directly: schedule it (DESTROY_SCHEDULED with a time)");
    }
    Long destroyAtUs = null;
    if (state == VersionState.DESTROY_SCHEDULED) {
      destroyAtUs =
          micros(
              destroyAt.orElseThrow(
                  () -> KeyserverException.invalid("DESTROY_SCHEDULED needs a destruction time")),
              "destroyAt");
    }
    Long destroyAtValue = destroyAtUs;
    return write(
        c -> {
          lockKeyRow(c, name);
          KeyRecord key = requireKey(c, name);
          KeyVersionRecord current =
              key.version(version)
                  .orElseThrow(
                      () ->
                          KeyserverException.notFound(
                              "key " + name + " has no version " + version));
          if (current.state() == VersionState.DESTROYED) {
            throw KeyserverException.precondition(
                "version " + version + " of key " + name + " is destroyed; destruction is final");
          }
          if (version == key.primaryVersion() && state != VersionState.ENABLED) {
            throw KeyserverException.precondition(
                "version "
                    + version
                    + " is the primary version of key "
                    + name
                    + " and must stay ENABLED; rotate first");
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE key_versions SET state = ?, destroy_at_us = ?"
                      + " WHERE key_name = ? AND version = ?")) {
            s.setString(1, state.name());
            setNullableLong(s, 2, Optional.ofNullable(destroyAtValue));
            s.setString(3, name);
            s.setInt(4, version);
            s.executeUpdate();
          }
          return requireKey(c, name);
        });
  }

  @Override
  public KeyRecord setMinDecryptionVersion(String name, int minDecryptionVersion) {
    requireName(name);
    return write(
        c -> {
          lockKeyRow(c, name);
          KeyRecord key = requireKey(c, name);
          if (minDecryptionVersion < 1 || minDecryptionVersion > key.primaryVersion()) {
            throw KeyserverException.precondition(
                "minimum decryption version of key "
                    + name
                    + " must be within 1.."
                    + key.primaryVersion()
                    + ", got "
                    + minDecryptionVersion);
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE named_keys SET min_decryption_version = ? WHERE name = ?")) {
            s.setInt(1, minDecryptionVersion);
            s.setString(2, name);
            s.executeUpdate();
          }
          return requireKey(c, name);
        });
  }

  @Override
  public List<KeyRecord> destroyDueVersions(Instant now) {
    long nowUs = micros(now, "now");
    List<KeyRecord> changed =
        write(
            c -> {
              TreeSet<String> names = new TreeSet<>();
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT key_name FROM key_versions"
                          + " WHERE state = 'DESTROY_SCHEDULED' AND destroy_at_us <= ?")) {
                s.setLong(1, nowUs);
                try (ResultSet rs = s.executeQuery()) {
                  while (rs.next()) {
                    names.add(rs.getString(1));
                  }
                }
              }
              if (names.isEmpty()) {
                return List.<KeyRecord>of();
              }
              // The wrapped secret is erased, not just flagged: a destroyed version is gone.
              try (PreparedStatement s =
                  c.prepareStatement(
                      "UPDATE key_versions SET state = 'DESTROYED', wrapped_secret = NULL,"
                          + " root_key_id = NULL, next_root_key_id = NULL, next_wrapped_secret = NULL"
                          + " WHERE state = 'DESTROY_SCHEDULED' AND destroy_at_us <= ?")) {
                s.setLong(1, nowUs);
                s.executeUpdate();
              }
              List<KeyRecord> keys = new ArrayList<>();
              for (String name : names) {
                keys.add(requireKey(c, name));
              }
              return List.copyOf(keys);
            });
    if (!changed.isEmpty()) {
      flushErased();
    }
    return changed;
  }

  @Override
  public void addDataKeysIssued(Map<String, Map<Integer, Long>> counts) {
    Objects.requireNonNull(counts, "counts");
    List<Object[]> rows = new ArrayList<>();
    counts.forEach(
        (name, byVersion) -> {
          requireName(name);
          Objects.requireNonNull(byVersion, "counts for key " + name);
          byVersion.forEach(
              (version, count) -> {
                requireVersionNumber(Objects.requireNonNull(version, "version"));
                if (count == null || count < 0) {
                  throw KeyserverException.invalid(
                      "data-key count must not be negative, got " + count);
                }
                if (count > 0) {
                  rows.add(new Object[] {name, version, count});
                }
              });
        });
    if (rows.isEmpty()) {
      return;
    }
    write(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE key_versions SET data_keys_issued = data_keys_issued + ?"
                      + " WHERE key_name = ? AND version = ?")) {
            for (Object[] row : rows) {
              s.setLong(1, (Long) row[2]);
              s.setString(2, (String) row[0]);
              s.setInt(3, (Integer) row[1]);
              s.addBatch();
            }
            int[] updated = s.executeBatch();
            for (int i = 0; i < updated.length; i++) {
              if (updated[i] == 0) {
                // Dropping one unknown entry beats failing (and losing) the whole batch.
                log.warn(
                    "dropped data-key count for unknown key version {} v{}",
                    rows.get(i)[0],
                    rows.get(i)[1]);
              }
            }
          }
          return null;
        });
  }

  @Override
  public Optional<StoredPolicy> policy() {
    return read(JdbcKeyStore::loadPolicy);
  }

  @Override
  public StoredPolicy putPolicy(String document, Optional<Long> expectedRevision, Instant now) {
    Objects.requireNonNull(document, "document");
    Objects.requireNonNull(expectedRevision, "expectedRevision");
    if (document.length() > MAX_POLICY_CHARS) {
      throw KeyserverException.invalid(
          "policy document must be at most "
              + MAX_POLICY_CHARS
              + " characters, got "
              + document.length());
    }
    long nowUs = micros(now, "now");
    return write(
        c -> {
          Optional<StoredPolicy> current = loadPolicy(c);
          long revision = current.map(StoredPolicy::revision).orElse(0L);
          if (expectedRevision.isPresent() && expectedRevision.get() != revision) {
            throw KeyserverException.precondition(
                "policy revision is " + revision + ", expected " + expectedRevision.get());
          }
          String sql =
              current.isEmpty()
                  ? "INSERT INTO policy (document, revision, updated_at_us, id) VALUES (?, ?, ?, ?)"
                  : "UPDATE policy SET document = ?, revision = ?, updated_at_us = ? WHERE id = ?";
          try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, document);
            s.setLong(2, revision + 1);
            s.setLong(3, nowUs);
            s.setInt(4, 1);
            s.executeUpdate();
          }
          return new StoredPolicy(document, revision + 1, fromMicros(nowUs));
        });
  }

  @Override
  public Optional<byte[]> metadata(String name) {
    requireMetadataName(name);
    return read(c -> MetadataRows.get(c, name));
  }

  @Override
  public void putMetadata(String name, byte[] value) {
    requireMetadataName(name);
    Objects.requireNonNull(value, "value");
    if (value.length > MAX_METADATA_BYTES) {
      throw KeyserverException.invalid(
          "metadata value must be at most " + MAX_METADATA_BYTES + " bytes, got " + value.length);
    }
    byte[] copy = value.clone();
    write(
        c -> {
          MetadataRows.put(c, name, copy);
          return null;
        });
  }

  /** The root-key rotation steps on this store (see {@link NextWraps}). */
  public NextWraps nextWraps() {
    return new NextWraps(this);
  }

  @Override
  public StoreSnapshot snapshot() {
    return snapshot(
        c -> {
          List<KeyRecord> keys = new ArrayList<>();
          try (PreparedStatement s =
                  c.prepareStatement("SELECT name FROM named_keys ORDER BY name");
              ResultSet rs = s.executeQuery()) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
              names.add(rs.getString(1));
            }
            for (String name : names) {
              keys.add(requireKey(c, name));
            }
          }
          Map<String, byte[]> metadata = new LinkedHashMap<>();
          try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT name, value FROM metadata WHERE name NOT LIKE '"
                          + RootKeyMetadata.NEXT_PREFIX + "%' ORDER BY name");
              ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              metadata.put(rs.getString(1), rs.getBytes(2));
            }
          }
          return new StoreSnapshot(keys, loadPolicy(c), metadata);
        });
  }

  @Override
  public void restore(StoreSnapshot snapshot, boolean replaceExisting) {
    Objects.requireNonNull(snapshot, "snapshot");
    for (KeyRecord key : snapshot.keys()) {
      requireRestorable(key);
    }
    write(
        c -> {
          boolean empty;
          try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT (SELECT COUNT(*) FROM named_keys) + (SELECT COUNT(*) FROM policy)");
              ResultSet rs = s.executeQuery()) {
            empty = rs.next() && rs.getLong(1) == 0;
          }
          if (!empty && !replaceExisting) {
            throw KeyserverException.precondition(
                "the store already holds keys or a policy; restoring over it needs --force");
          }
          for (String table : List.of("key_versions", "named_keys", "policy", "metadata")) {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + table)) {
              s.executeUpdate();
            }
          }
          for (KeyRecord key : snapshot.keys()) {
            insertRestored(c, key);
          }
          if (snapshot.policy().isPresent()) {
            StoredPolicy p = snapshot.policy().get();
            try (PreparedStatement s =
                c.prepareStatement(
                    "INSERT INTO policy (id, document, revision, updated_at_us) VALUES (1, ?, ?, ?)")) {
              s.setString(1, p.document());
              s.setLong(2, p.revision());
              s.setLong(3, micros(p.updatedAt(), "policy time"));
              s.executeUpdate();
            }
          }
          try (PreparedStatement s =
              c.prepareStatement("INSERT INTO metadata (name, value) VALUES (?, ?)")) {
            for (Map.Entry<String, byte[]> e : snapshot.metadata().entrySet()) {
              requireMetadataName(e.getKey());
              s.setString(1, e.getKey());
              s.setBytes(2, e.getValue());
              s.executeUpdate();
            }
          }
          return null;
        });
  }

  private static void insertRestored(Connection c, KeyRecord key) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("INSERT INTO named_keys (" + KEY_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
      s.setString(1, key.name());
      s.setLong(2, micros(key.createdAt(), "key creation time"));
      s.setInt(3, key.primaryVersion());
      s.setInt(4, key.minDecryptionVersion());
      setNullableLong(s, 5, key.settings().rotationPeriod().map(Duration::getSeconds));
      setNullableLong(s, 6, boxed(key.settings().rotateAfterDataKeys()));
      s.executeUpdate();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO key_versions (" + VERSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (KeyVersionRecord v : key.versions()) {
        s.setString(1, key.name());
        s.setInt(2, v.version());
        s.setString(3, v.state().name());
        s.setLong(4, micros(v.createdAt(), "version creation time"));
        setNullableLong(
            s, 5, v.destroyAt().map(t -> micros(t, "destruction time")));
        s.setLong(6, v.dataKeysIssued());
        s.setString(7, v.wrappedSecret().map(WrappedSecret::rootKeyId).orElse(null));
        s.setBytes(8, v.wrappedSecret().map(WrappedSecret::ciphertext).orElse(null));
        s.executeUpdate();
      }
    }
  }

  /** The invariants every stored key keeps, checked before a restore writes anything. */
  private static void requireRestorable(KeyRecord key) {
    requireName(key.name());
    requireSettings(key.settings());
    List<KeyVersionRecord> versions = key.versions();
    if (versions.isEmpty()) {
      throw KeyserverException.invalid("key " + key.name() + " has no versions");
    }
    Optional<KeyVersionRecord> primary = key.version(key.primaryVersion());
    if (primary.isEmpty()
        || primary.get().state() != VersionState.ENABLED
        || primary.get().wrappedSecret().isEmpty()) {
      throw KeyserverException.invalid(
          "key " + key.name() + " has no ENABLED primary version " + key.primaryVersion());
    }
    if (key.minDecryptionVersion() < 1 || key.minDecryptionVersion() > key.primaryVersion()) {
      throw KeyserverException.invalid(
          "key " + key.name() + " has minimum decryption version " + key.minDecryptionVersion());
    }
    int previous = 0;
    for (KeyVersionRecord v : versions) {
      requireVersionNumber(v.version());
      if (v.version() <= previous) {
        throw KeyserverException.invalid("versions of key " + key.name() + " are not ascending");
      }
      previous = v.version();
      boolean destroyed = v.state() == VersionState.DESTROYED;
      if (destroyed == v.wrappedSecret().isPresent()) {
        throw KeyserverException.invalid(
            "version " + v.version() + " of key " + key.name()
                + (destroyed ? " is destroyed but has a secret" : " has no secret"));
      }
      v.wrappedSecret().ifPresent(JdbcKeyStore::requireSecret);
      if (v.state() == VersionState.DESTROY_SCHEDULED && v.destroyAt().isEmpty()) {
        throw KeyserverException.invalid(
            "version " + v.version() + " of key " + key.name() + " has no destruction time");
      }
    }
  }

  /** Closes the database (and with it the audit log's connections, so close that first). */
  @Override
  public void close() {
    db.close();
  }

  @Override
  public String toString() {
    return "JdbcKeyStore[" + db + "]";
  }

  // ---- SQL helpers

  <T> T write(SqlWork<T> work) {
    try {
      return db.inWriteTransaction(work);
    } catch (SQLException e) {
      throw Database.unavailable(e);
    }
  }

  <T> T snapshot(SqlWork<T> work) {
    try {
      return db.inReadSnapshot(work);
    } catch (SQLException e) {
      throw Database.unavailable(e);
    }
  }

  <T> T read(SqlWork<T> work) {
    try {
      return db.withConnection(work);
    } catch (SQLException e) {
      throw Database.unavailable(e);
    }
  }

  private void lockKeyRow(Connection c, String name) throws SQLException {
    String sql = db.dialect().lockKeyRowSql();
    if (sql != null) {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setString(1, name);
        s.executeQuery().close();
      }
    }
  }

  /** Best effort: the erasure itself is already committed. */
  void flushErased() {
    try {
      if (!db.withConnection(c -> db.dialect().flushErased(c))) {
        log.warn("old copies of destroyed key versions stay in the WAL until the next checkpoint");
      }
    } catch (SQLException e) {
      log.warn("flushing destroyed key versions out of the WAL failed", e);
    }
  }

  /**
   * Asks {@code wrapper} for the new version's wrap, telling it the store's root key, and refuses
   * a wrap under any other key: it would be a version that only that key opens.
   */
  private static WrappedSecret wrapForStore(Connection c, SecretWrapper wrapper, int version)
      throws SQLException {
    Optional<String> storeRootKey = MetadataRows.text(c, RootKeyMetadata.ID);
    WrappedSecret secret = wrapper.wrap(version, storeRootKey);
    requireSecret(secret);
    if (storeRootKey.isPresent() && !storeRootKey.get().equals(secret.rootKeyId())) {
      throw KeyserverException.precondition(
          "a new key version must be wrapped by this store's root key " + storeRootKey.get()
              + ", not " + secret.rootKeyId());
    }
    return secret;
  }

  private static void insertVersion(
      Connection c, String name, int version, long nowUs, WrappedSecret secret)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO key_versions ("
                + VERSION_COLUMNS
                + ") VALUES (?, ?, ?, ?, NULL, 0, ?, ?)")) {
      s.setString(1, name);
      s.setInt(2, version);
      s.setString(3, VersionState.ENABLED.name());
      s.setLong(4, nowUs);
      s.setString(5, secret.rootKeyId());
      s.setBytes(6, secret.ciphertext());
      s.executeUpdate();
    }
  }

  private static KeyRecord requireKey(Connection c, String name) throws SQLException {
    return loadKey(c, name)
        .orElseThrow(() -> KeyserverException.notFound("key " + name + " not found"));
  }

  private static Optional<KeyRecord> loadKey(Connection c, String name) throws SQLException {
    List<KeyVersionRecord> versions = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT "
                + VERSION_COLUMNS
                + " FROM key_versions WHERE key_name = ? ORDER BY version")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          versions.add(readVersion(rs));
        }
      }
    }
    try (PreparedStatement s =
        c.prepareStatement("SELECT " + KEY_COLUMNS + " FROM named_keys WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(readKey(rs, versions)) : Optional.empty();
      }
    }
  }

  private static KeyRecord readKey(ResultSet rs, List<KeyVersionRecord> versions)
      throws SQLException {
    Optional<Long> periodSeconds = nullableLong(rs, 5);
    Optional<Long> afterDataKeys = nullableLong(rs, 6);
    KeySettings settings =
        new KeySettings(
            periodSeconds.map(Duration::ofSeconds),
            afterDataKeys.map(OptionalLong::of).orElse(OptionalLong.empty()));
    return new KeyRecord(
        rs.getString(1), fromMicros(rs.getLong(2)), rs.getInt(3), rs.getInt(4), settings, versions);
  }

  private static KeyVersionRecord readVersion(ResultSet rs) throws SQLException {
    String rootKeyId = rs.getString(7);
    byte[] wrapped = rs.getBytes(8);
    Optional<WrappedSecret> secret =
        rootKeyId == null || wrapped == null || wrapped.length == 0
            ? Optional.empty()
            : Optional.of(new WrappedSecret(rootKeyId, wrapped));
    return new KeyVersionRecord(
        rs.getInt(2),
        VersionState.valueOf(rs.getString(3)),
        fromMicros(rs.getLong(4)),
        nullableLong(rs, 5).map(JdbcKeyStore::fromMicros),
        rs.getLong(6),
        secret);
  }

  private static Optional<StoredPolicy> loadPolicy(Connection c) throws SQLException {
    try (PreparedStatement s =
            c.prepareStatement(
                "SELECT document, revision, updated_at_us FROM policy WHERE id = 1");
        ResultSet rs = s.executeQuery()) {
      return rs.next()
          ? Optional.of(new StoredPolicy(rs.getString(1), rs.getLong(2), fromMicros(rs.getLong(3))))
          : Optional.empty();
    }
  }

  private static Optional<Long> nullableLong(ResultSet rs, int column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? Optional.empty() : Optional.of(value);
  }

  private static void setNullableLong(PreparedStatement s, int index, Optional<Long> value)
      throws SQLException {
    if (value.isPresent()) {
      s.setLong(index, value.get());
    } else {
      s.setNull(index, Types.BIGINT);
    }
  }

  private static Optional<Long> boxed(OptionalLong value) {
    return value.isPresent() ? Optional.of(value.getAsLong()) : Optional.empty();
  }

  // ---- validation

  static long micros(Instant instant, String what) {
    Objects.requireNonNull(instant, what);
    try {
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    } catch (ArithmeticException e) {
      throw KeyserverException.invalid(what + " is out of range, got " + instant);
    }
  }

  static Instant fromMicros(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }

  private static void requireName(String name) {
    if (name == null
        || name.isEmpty()
        || name.length() > MAX_NAME_LENGTH
        || name.isBlank()
        || name.chars().anyMatch(Character::isISOControl)) {
      throw KeyserverException.invalid(
          "key name must be 1 to " + MAX_NAME_LENGTH + " characters without control characters");
    }
  }

  private static void requireMetadataName(String name) {
    if (name == null || name.isBlank() || name.length() > MAX_NAME_LENGTH) {
      throw KeyserverException.invalid(
          "metadata name must be 1 to " + MAX_NAME_LENGTH + " characters");
    }
  }

  private static void requireVersionNumber(int version) {
    if (version < 1) {
      throw KeyserverException.invalid("key version must be at least 1, got " + version);
    }
  }

  private static void requireSecret(WrappedSecret secret) {
    Objects.requireNonNull(secret, "wrapped secret");
    if (secret.rootKeyId() == null
        || secret.rootKeyId().isEmpty()
        || secret.ciphertext().length == 0) {
      throw KeyserverException.invalid("wrapped secret must have a root key id and ciphertext");
    }
  }

  private static void requireSettings(KeySettings settings) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(settings.rotationPeriod(), "rotationPeriod");
    Objects.requireNonNull(settings.rotateAfterDataKeys(), "rotateAfterDataKeys");
    settings
        .rotationPeriod()
        .ifPresent(
            p -> {
              if (p.isNegative() || p.isZero() || p.getNano() != 0) {
                throw KeyserverException.invalid(
                    "rotation period must be a positive whole number of seconds, got " + p);
              }
            });
    if (settings.rotateAfterDataKeys().isPresent()
        && settings.rotateAfterDataKeys().getAsLong() <= 0) {
      throw KeyserverException.invalid(
          "rotate-after data-key count must be positive, got "
              + settings.rotateAfterDataKeys().getAsLong());
    }
  }
}
