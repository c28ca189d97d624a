package io.keyward.keyserver.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.ScheduleKeyVersionDestructionRequest;
import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.PostgresDatabases;
import io.keyward.keyserver.store.StoreSnapshot;
import io.keyward.keyserver.store.Stores;
import io.keyward.keyserver.store.VersionState;
import io.keyward.keyserver.store.WrappedSecret;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupsTest {
  @TempDir Path dir;
  private final FakeClock clock = FakeClock.startingAt2026();

  private static WrappedSecret secret(int seed) {
    byte[] bytes = new byte[61];
    java.util.Arrays.fill(bytes, (byte) seed);
    return new WrappedSecret("root-a", bytes);
  }

  /** A store with every kind of state a backup must carry. */
  private void fill(JdbcKeyStore store) {
    store.createKey(
        "payments",
        new KeySettings(Optional.of(Duration.ofDays(30)), OptionalLong.of(1000)),
        secret(1),
        clock.instant());
    store.addPrimaryVersion("payments", v -> secret(2), clock.instant());
    store.addPrimaryVersion("payments", v -> secret(3), clock.instant());
    store.setVersionState("payments", 1, VersionState.DISABLED, Optional.empty());
    store.setMinDecryptionVersion("payments", 2);
    store.addDataKeysIssued(Map.of("payments", Map.of(3, 42L)));
    store.createKey("gone", KeySettings.NONE, secret(4), clock.instant());
    store.addPrimaryVersion("gone", v -> secret(5), clock.instant());
    store.addPrimaryVersion("gone", v -> secret(6), clock.instant());
    store.setVersionState("gone", 1, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant()));
    store.destroyDueVersions(clock.instant());
    store.setVersionState(
        "gone", 2, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant().plus(Duration.ofDays(3))));
    store.putPolicy("rules: []", Optional.empty(), clock.instant());
    store.putPolicy("rules: [] # two", Optional.of(1L), clock.instant());
    store.putMetadata("rootkey.check", new byte[] {9, 8, 7});
  }

  @Test
  void aBackupRestoresEveryKeyVersionStateAndPolicyIntoAnEmptyStore() throws Exception {
    Path file = dir.resolve("backups/keyward.backup");
    StoreSnapshot original;
    try (JdbcKeyStore source = Stores.open("sqlite:" + dir.resolve("a.db"))) {
      fill(source);
      original = source.snapshot();
      BackupSummary summary = Backups.create(source, file);
      assertEquals(new BackupSummary(2, 6, 1, Optional.of(2L), java.util.Set.of("root-a")), summary);
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (JdbcKeyStore target = Stores.open("sqlite:" + dir.resolve("b.db"))) {
      target.putMetadata("rootkey.check", new byte[] {1}); // a fresh server already stored one
      Backups.restore(target, file, false);
      assertEquals(original, target.snapshot());
      assertEquals(
          VersionState.DESTROY_SCHEDULED,
          target.findKey("gone").orElseThrow().version(2).orElseThrow().state());
    }
  }

  @Test
  void restoringOverANonEmptyStoreIsRefusedUnlessForced() throws Exception {
    Path file = dir.resolve("keyward.backup");
    try (JdbcKeyStore source = Stores.open("sqlite:" + dir.resolve("a.db"))) {
      fill(source);
      Backups.create(source, file);
    }
    try (JdbcKeyStore target = Stores.open("sqlite:" + dir.resolve("b.db"))) {
      target.createKey("local", KeySettings.NONE, secret(9), clock.instant());
      StoreSnapshot before = target.snapshot();
      KeyserverException refused =
          assertThrows(KeyserverException.class, () -> Backups.restore(target, file, false));
      assertEquals(ErrorCode.FAILED_PRECONDITION, refused.code());
      assertEquals(before, target.snapshot());
      Backups.restore(target, file, true);
      assertEquals(List.of("gone", "payments"), target.listKeys().stream().map(k -> k.name()).toList());
    }
  }

  @Test
  void damagedOrForeignFilesAreRefusedBeforeTheStoreChanges() throws Exception {
    Path file = dir.resolve("keyward.backup");
    try (JdbcKeyStore source = Stores.open("sqlite:" + dir.resolve("a.db"))) {
      fill(source);
      Backups.create(source, file);
    }
    byte[] good = Files.readAllBytes(file);
    List<String> accepted = new ArrayList<>();
    int header = new String(good, StandardCharsets.US_ASCII).indexOf('\n');
    for (int i = header + 1; i < good.length; i += 7) {
      byte[] bad = good.clone();
      bad[i] ^= 0x04;
      if (decodes(bad)) {
        accepted.add("body byte " + i);
      }
    }
    assertEquals(List.of(), accepted);
    assertFalse(decodes("not a backup".getBytes(StandardCharsets.US_ASCII)));
    assertFalse(decodes(new String(good, StandardCharsets.ISO_8859_1)
        .replaceFirst("KEYWARD-BACKUP 1", "KEYWARD-BACKUP 2").getBytes(StandardCharsets.ISO_8859_1)));
    assertFalse(decodes(java.util.Arrays.copyOf(good, good.length - 1)));

    Files.write(file, java.util.Arrays.copyOf(good, good.length - 3));
    try (JdbcKeyStore target = Stores.open("sqlite:" + dir.resolve("b.db"))) {
      assertThrows(InvalidBackupException.class, () -> Backups.restore(target, file, true));
      assertEquals(List.of(), target.listKeys());
    }
  }

  private static boolean decodes(byte[] content) {
    try {
      Backups.decode(content);
      return true;
    } catch (InvalidBackupException e) {
      return false;
    }
  }

  @Test
  void aRestoredServerDecryptsEverythingTheOldOneCouldAndTheFileHoldsNoPlaintext() throws Exception {
    Path oldDir = Files.createDirectories(dir.resolve("old"));
    Path newDir = Files.createDirectories(dir.resolve("new"));
    Path file = dir.resolve("keyward.backup");
    FakeClock serverClock = new FakeClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    TestTokenIssuer issuer =
        TestTokenIssuer.builder().issuer(TestKeyserver.ISSUER).clock(serverClock).build();
    List<GenerateDataKeyResponse> issued = new ArrayList<>();
    try (TestKeyserver old = TestKeyserver.start(oldDir, serverClock, issuer)) {
      old.createKey("a-orders");
      String token = old.tokenFor("a", "app");
      for (int i = 0; i < 3; i++) {
        issued.add(old.keys(token).generateDataKey(
            GenerateDataKeyRequest.newBuilder().setKeyName("a-orders").putEncryptionContext("n", "" + i).build()));
        old.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-orders").build());
      }
      old.admin().disableKeyVersion(KeyVersionRequest.newBuilder().setName("a-orders").setVersion(1).build());
      old.admin().scheduleKeyVersionDestruction(ScheduleKeyVersionDestructionRequest.newBuilder()
          .setName("a-orders").setVersion(1).build());
      assertEquals(0, BackupMain.run(
          new String[] {"create", file.toString(), "--store", "sqlite:" + oldDir.resolve("keyward.db")},
          quiet(), quiet()));
    }
    String content = Files.readString(file, StandardCharsets.ISO_8859_1);
    // Data keys are derived from the version secrets; none of them, in any encoding, is in the file.
    for (GenerateDataKeyResponse r : issued) {
      byte[] plaintext = r.getPlaintextDataKey().toByteArray();
      assertFalse(content.contains(Base64.getEncoder().encodeToString(plaintext)));
      assertFalse(content.contains(HexFormat.of().formatHex(plaintext)));
    }
    Files.copy(oldDir.resolve("root.key"), newDir.resolve("root.key"), StandardCopyOption.COPY_ATTRIBUTES);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, BackupMain.run(
        new String[] {"restore", file.toString(), "--store", "sqlite:" + newDir.resolve("keyward.db")},
        quiet(), new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString(StandardCharsets.UTF_8));
    assertEquals(1, BackupMain.run(
        new String[] {"restore", file.toString(), "--store", "sqlite:" + newDir.resolve("keyward.db")},
        quiet(), quiet()), "a second restore without --force is refused");
    assertEquals(2, BackupMain.run(new String[] {"restore", file.toString()}, quiet(), quiet()));

    try (TestKeyserver restored = TestKeyserver.start(newDir, serverClock, issuer)) {
      String token = restored.tokenFor("a", "app");
      List<String> failures = new ArrayList<>();
      for (int i = 1; i < issued.size(); i++) { // version 1 is disabled, as it was
        GenerateDataKeyResponse r = issued.get(i);
        DecryptDataKeyResponse d = restored.keys(token).decryptDataKey(DecryptDataKeyRequest.newBuilder()
            .setWrappedDataKey(r.getWrappedDataKey()).putEncryptionContext("n", "" + i).build());
        if (!d.getPlaintextDataKey().equals(r.getPlaintextDataKey())) {
          failures.add("data key " + i);
        }
      }
      assertEquals(List.of(), failures);
      assertEquals(4, restored.admin().getKey(io.keyward.api.v1.GetKeyRequest.newBuilder().setName("a-orders").build())
          .getPrimaryVersion());
      io.grpc.StatusRuntimeException disabled = assertThrows(io.grpc.StatusRuntimeException.class,
          () -> restored.keys(token).decryptDataKey(DecryptDataKeyRequest.newBuilder()
              .setWrappedDataKey(issued.get(0).getWrappedDataKey()).putEncryptionContext("n", "0").build()));
      assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, disabled.getStatus().getCode());
    }
  }

  @Test
  void aBackupMovesASqliteStoreToPostgresql() throws Exception {
    Path file = dir.resolve("keyward.backup");
    StoreSnapshot original;
    try (JdbcKeyStore source = Stores.open("sqlite:" + dir.resolve("a.db"))) {
      fill(source);
      original = source.snapshot();
      Backups.create(source, file);
    }
    try (PostgresDatabases.TestDatabase db = PostgresDatabases.create();
        JdbcKeyStore target = Stores.open(db.location())) {
      Backups.restore(target, file, false);
      assertEquals(original, target.snapshot());
      Path again = dir.resolve("from-postgres.backup");
      Backups.create(target, again);
      assertEquals(original, Backups.read(again));
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }
}
