package io.keyward.keyserver.backup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.KeyStore;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.StoreSnapshot;
import io.keyward.keyserver.store.StoredPolicy;
import io.keyward.keyserver.store.VersionState;
import io.keyward.keyserver.store.WrappedSecret;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Backup and restore of a key store: every key, version, state, setting and the policy, with each
 * version secret still wrapped by the root key (never plaintext), plus the store metadata (the
 * root-key check value and passphrase KDF parameters), so that a server with the same root key
 * serves the restored store exactly as the old one. The audit log is not included: it records
 * what happened to the old store, and replaying it into another would break the hash chain's
 * meaning (keep the old database, or export the log, for audits).
 *
 * <p>File format, version 1: one ASCII header line {@code KEYWARD-BACKUP 1 sha256=<hex>}, then a
 * UTF-8 JSON document whose SHA-256 the header gives. The checksum detects damage, not tampering:
 * wrapped secrets are authenticated by the root key (bound to their key name and version), but
 * states and the policy are not, so store backups where only operators can write them.
 */
public final class Backups {
  static final String MAGIC = "KEYWARD-BACKUP";
  static final int FORMAT = 1;
  private static final int MAX_BYTES = 512 * 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private Backups() {}

  /**
   * Writes a backup of {@code store} (read in one consistent snapshot) to {@code file}: written to
   * a temporary file with mode 0600, synced, then moved into place, so {@code file} is either the
   * old content or the complete new backup.
   */
  public static BackupSummary create(KeyStore store, Path file) throws IOException {
    return create(store, file, Clock.systemUTC());
  }

  static BackupSummary create(KeyStore store, Path file, Clock clock) throws IOException {
    StoreSnapshot snapshot = store.snapshot();
    byte[] content = encode(snapshot, clock.instant());
    writeAtomically(file, content);
    return summary(snapshot);
  }

  /**
   * Restores the backup in {@code file} into {@code store} in one transaction. The file is read
   * and fully validated (checksum, format, every key's invariants) before anything is written.
   * Refuses (KeyserverException FAILED_PRECONDITION) a store that holds any key or policy unless
   * {@code force}; with {@code force}, the store's keys, policy and metadata are replaced. Stop the
   * keyservers first: running ones keep unwrapped secrets of the replaced keys in memory.
   *
   * @throws InvalidBackupException when the file is not a valid backup
   */
  public static BackupSummary restore(KeyStore store, Path file, boolean force) throws IOException {
    StoreSnapshot snapshot = read(file);
    store.restore(snapshot, force);
    return summary(snapshot);
  }

  /** Reads and validates a backup file without touching any store. */
  public static StoreSnapshot read(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new InvalidBackupException("backup file is larger than " + MAX_BYTES + " bytes");
    }
    return decode(Files.readAllBytes(file));
  }

  static BackupSummary summary(StoreSnapshot snapshot) {
    int versions = 0;
    int destroyed = 0;
    TreeSet<String> rootKeys = new TreeSet<>();
    for (KeyRecord key : snapshot.keys()) {
      for (KeyVersionRecord v : key.versions()) {
        versions++;
        if (v.wrappedSecret().isEmpty()) {
          destroyed++;
        }
        v.wrappedSecret().ifPresent(w -> rootKeys.add(w.rootKeyId()));
      }
    }
    return new BackupSummary(
        snapshot.keys().size(),
        versions,
        destroyed,
        snapshot.policy().map(StoredPolicy::revision),
        rootKeys);
  }

  // ---- encoding

  static byte[] encode(StoreSnapshot snapshot, Instant createdAt) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("createdAt", createdAt.toString());
    ArrayNode rootKeyIds = root.putArray("rootKeyIds");
    summary(snapshot).rootKeyIds().stream().sorted().forEach(rootKeyIds::add);
    if (snapshot.policy().isPresent()) {
      StoredPolicy p = snapshot.policy().get();
      ObjectNode policy = root.putObject("policy");
      policy.put("document", p.document());
      policy.put("revision", p.revision());
      policy.put("updatedAt", p.updatedAt().toString());
    } else {
      root.putNull("policy");
    }
    ObjectNode metadata = root.putObject("metadata");
    snapshot.metadata().forEach((k, v) -> metadata.put(k, Base64.getEncoder().encodeToString(v)));
    ArrayNode keys = root.putArray("keys");
    for (KeyRecord key : snapshot.keys()) {
      ObjectNode k = keys.addObject();
      k.put("name", key.name());
      k.put("createdAt", key.createdAt().toString());
      k.put("primaryVersion", key.primaryVersion());
      k.put("minDecryptionVersion", key.minDecryptionVersion());
      if (key.settings().rotationPeriod().isPresent()) {
        k.put("rotationPeriodSeconds", key.settings().rotationPeriod().get().getSeconds());
      } else {
        k.putNull("rotationPeriodSeconds");
      }
      if (key.settings().rotateAfterDataKeys().isPresent()) {
        k.put("rotateAfterDataKeys", key.settings().rotateAfterDataKeys().getAsLong());
      } else {
        k.putNull("rotateAfterDataKeys");
      }
      ArrayNode versions = k.putArray("versions");
      for (KeyVersionRecord v : key.versions()) {
        ObjectNode o = versions.addObject();
        o.put("version", v.version());
        o.put("state", v.state().name());
        o.put("createdAt", v.createdAt().toString());
        if (v.destroyAt().isPresent()) {
          o.put("destroyAt", v.destroyAt().get().toString());
        } else {
          o.putNull("destroyAt");
        }
        o.put("dataKeysIssued", v.dataKeysIssued());
        if (v.wrappedSecret().isPresent()) {
          o.put("rootKeyId", v.wrappedSecret().get().rootKeyId());
          o.put(
              "wrappedSecret",
              Base64.getEncoder().encodeToString(v.wrappedSecret().get().ciphertext()));
        } else {
          o.putNull("rootKeyId");
          o.putNull("wrappedSecret");
        }
      }
    }
    byte[] body;
    try {
      body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode the backup", e);
    }
    byte[] header =
        (MAGIC + " " + FORMAT + " sha256=" + HexFormat.of().formatHex(sha256(body)) + "\n")
            .getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(header.length + body.length).put(header).put(body).array();
  }

  static StoreSnapshot decode(byte[] content) throws InvalidBackupException {
    int newline = -1;
    for (int i = 0; i < Math.min(content.length, 200); i++) {
      if (content[i] == '\n') {
        newline = i;
        break;
      }
    }
    if (newline < 0) {
      throw new InvalidBackupException("not a Keyward backup (no header line)");
    }
    String[] header = new String(content, 0, newline, StandardCharsets.US_ASCII).split(" ");
    if (header.length != 3 || !header[0].equals(MAGIC) || !header[2].startsWith("sha256=")) {
      throw new InvalidBackupException("not a Keyward backup (bad header line)");
    }
    if (!header[1].equals(String.valueOf(FORMAT))) {
      throw new InvalidBackupException(
          "backup format " + header[1] + " is not supported (this keyserver reads format " + FORMAT + ")");
    }
    byte[] body = java.util.Arrays.copyOfRange(content, newline + 1, content.length);
    byte[] expected;
    try {
      expected = HexFormat.of().parseHex(header[2].substring("sha256=".length()));
    } catch (IllegalArgumentException e) {
      throw new InvalidBackupException("backup checksum is malformed");
    }
    if (!MessageDigest.isEqual(expected, sha256(body))) {
      throw new InvalidBackupException("backup checksum does not match: the file is damaged");
    }
    try {
      JsonNode root = JSON.readTree(body);
      if (root == null || !root.isObject() || root.path("format").asInt(-1) != FORMAT) {
        throw new InvalidBackupException("backup body is not a format " + FORMAT + " document");
      }
      Optional<StoredPolicy> policy = Optional.empty();
      JsonNode p = root.path("policy");
      if (!p.isNull() && !p.isMissingNode()) {
        policy =
            Optional.of(
                new StoredPolicy(
                    text(p, "document"), number(p, "revision"), instant(p, "updatedAt")));
      }
      Map<String, byte[]> metadata = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = object(root, "metadata").fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> e = fields.next();
        metadata.put(e.getKey(), base64(e.getValue(), "metadata " + e.getKey()));
      }
      List<KeyRecord> keys = new ArrayList<>();
      for (JsonNode k : array(root, "keys")) {
        keys.add(key(k));
      }
      return new StoreSnapshot(keys, policy, metadata);
    } catch (InvalidBackupException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidBackupException("backup body is malformed: " + e.getMessage(), e);
    }
  }

  private static KeyRecord key(JsonNode k) throws InvalidBackupException {
    String name = text(k, "name");
    JsonNode period = k.path("rotationPeriodSeconds");
    JsonNode after = k.path("rotateAfterDataKeys");
    KeySettings settings =
        new KeySettings(
            period.isNull() || period.isMissingNode()
                ? Optional.empty()
                : Optional.of(Duration.ofSeconds(period.asLong())),
            after.isNull() || after.isMissingNode()
                ? OptionalLong.empty()
                : OptionalLong.of(after.asLong()));
    List<KeyVersionRecord> versions = new ArrayList<>();
    for (JsonNode v : array(k, "versions")) {
      JsonNode destroyAt = v.path("destroyAt");
      JsonNode wrapped = v.path("wrappedSecret");
      Optional<WrappedSecret> secret =
          wrapped.isNull() || wrapped.isMissingNode()
              ? Optional.empty()
              : Optional.of(new WrappedSecret(text(v, "rootKeyId"), base64(wrapped, "secret of " + name)));
      VersionState state;
      try {
        state = VersionState.valueOf(text(v, "state"));
      } catch (IllegalArgumentException e) {
        throw new InvalidBackupException("key " + name + " has a version in an unknown state");
      }
      versions.add(
          new KeyVersionRecord(
              (int) number(v, "version"),
              state,
              instant(v, "createdAt"),
              destroyAt.isNull() || destroyAt.isMissingNode()
                  ? Optional.empty()
                  : Optional.of(instant(v, "destroyAt")),
              number(v, "dataKeysIssued"),
              secret));
    }
    return new KeyRecord(
        name,
        instant(k, "createdAt"),
        (int) number(k, "primaryVersion"),
        (int) number(k, "minDecryptionVersion"),
        settings,
        versions);
  }

  private static String text(JsonNode node, String field) throws InvalidBackupException {
    JsonNode v = node.path(field);
    if (!v.isTextual()) {
      throw new InvalidBackupException("backup field " + field + " is missing or not text");
    }
    return v.asText();
  }

  private static long number(JsonNode node, String field) throws InvalidBackupException {
    JsonNode v = node.path(field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new InvalidBackupException("backup field " + field + " is missing or not a whole number");
    }
    long n = v.asLong();
    if (n < 0 || ((field.endsWith("ersion")) && n > Integer.MAX_VALUE)) {
      throw new InvalidBackupException("backup field " + field + " is out of range");
    }
    return n;
  }

  private static Instant instant(JsonNode node, String field) throws InvalidBackupException {
    try {
      return Instant.parse(text(node, field));
    } catch (DateTimeParseException e) {
      throw new InvalidBackupException("backup field " + field + " is not an instant");
    }
  }

  private static JsonNode object(JsonNode node, String field) throws InvalidBackupException {
    JsonNode v = node.path(field);
    if (!v.isObject()) {
      throw new InvalidBackupException("backup field " + field + " is missing or not an object");
    }
    return v;
  }

  private static JsonNode array(JsonNode node, String field) throws InvalidBackupException {
    JsonNode v = node.path(field);
    if (!v.isArray()) {
      throw new InvalidBackupException("backup field " + field + " is missing or not a list");
    }
    return v;
  }

  private static byte[] base64(JsonNode v, String what) throws InvalidBackupException {
    if (!v.isTextual()) {
      throw new InvalidBackupException("backup value " + what + " is not base64 text");
    }
    try {
      return Base64.getDecoder().decode(v.asText());
    } catch (IllegalArgumentException e) {
      throw new InvalidBackupException("backup value " + what + " is not valid base64");
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  private static void writeAtomically(Path file, byte[] content) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    boolean posix = target.getFileSystem().supportedFileAttributeViews().contains("posix");
    Path tmp =
        posix
            ? Files.createTempFile(
                dir,
                ".keyward-backup-",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
            : Files.createTempFile(dir, ".keyward-backup-", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException | UnsupportedOperationException e) {
        // Not every platform syncs directories; the file itself is synced.
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
