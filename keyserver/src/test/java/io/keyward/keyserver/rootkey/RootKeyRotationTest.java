package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.backup.BackupSummary;
import io.keyward.keyserver.backup.Backups;
import io.keyward.keyserver.rootkey.RootKeyRotation.Phase;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.NextWraps;
import io.keyward.keyserver.store.Stores;
import io.keyward.keyserver.store.VersionState;
import io.keyward.testing.FakeClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Root-key rotation on real stores (an SQLite file and a PostgreSQL database), interrupted at every
 * phase boundary and in the middle of batches: after each interruption exactly one of the two keys
 * opens everything, and running the rotation again finishes it.
 */
class RootKeyRotationTest {
  private static final int BATCH = 4;

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.startingAt2026();
  private final RotationChecks checks = new RotationChecks();
  private final List<AutoCloseable> open = new ArrayList<>();
  private String location;
  private JdbcKeyStore store;
  private FileRootKey oldKey;
  private FileRootKey newKey;

  /** A store of 6 keys with 3 versions each under the old key, one version destroyed: 17 live. */
  private void setUp(String kind) throws Exception {
    location = RotationChecks.location(kind, dir, open);
    store = Stores.open(location);
    open.add(0, store);
    oldKey = FileRootKey.createIfMissing(dir.resolve("old.key"));
    newKey = FileRootKey.createIfMissing(dir.resolve("new.key"));
    checks.seed(store, oldKey, 6, 3, clock.instant());
    destroy("key-0000", 1);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private void destroy(String name, int version) {
    store.setVersionState(name, version, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant()));
    store.destroyDueVersions(clock.instant());
    checks.forgetDestroyed(store);
  }

  /** What a keyserver holding only {@code key} does to add a version: wrap under the store's key. */
  private void addVersionWith(RootKey key, String name) {
    store.addPrimaryVersion(name, (version, storeKey) -> {
      assertEquals(Optional.of(key.id()), storeKey, "the store names the key to wrap under");
      return checks.wrapNew(key, name, version);
    }, clock.instant());
  }

  private RootKeyRotation.Result rotate(RootKeyRotation.Progress progress) throws RootKeyException {
    return RootKeyRotation.rotate(store, oldKey, newKey, BATCH, progress);
  }

  /** A crash at the {@code n}th report of {@code phase} in one run. */
  private static RootKeyRotation.Progress crashAt(Phase phase, int n) {
    AtomicInteger seen = new AtomicInteger();
    return (p, count) -> {
      if (p == phase && seen.incrementAndGet() == n) {
        throw new Crash(phase + " #" + n);
      }
    };
  }

  private void assertInterruptedBeforeTheSwap() {
    assertSame(oldKey, checks.soleOpener(store, oldKey, newKey));
    String refused = RotationChecks.refusal(store, newKey).orElseThrow();
    assertTrue(refused.startsWith(RootKeyCheck.ROTATION_IN_PROGRESS + newKey.id() + " is in progress"), refused);
    assertTrue(refused.contains("keyward root-key rotate"), refused);
  }

  /** Rerunning a finished rotation changes nothing. */
  private void assertARerunFindsItDone() throws RootKeyException {
    assertEquals(new RootKeyRotation.Result(0, 0, true), rotate(RootKeyRotation.Progress.NONE));
    assertSame(newKey, checks.soleOpener(store, oldKey, newKey));
  }

  private int staged() {
    return store.nextWraps().status().staged();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void rotatesEveryVersionAndRetiresTheOldKey(String kind) throws Exception {
    setUp(kind);
    List<String> phases = new ArrayList<>();
    RootKeyRotation.Result result = rotate((phase, count) -> phases.add(phase + " " + count));
    assertEquals(new RootKeyRotation.Result(17, 17, false), result);
    assertEquals(List.of("BEGUN 0", "BATCH_STORED 4", "BATCH_STORED 8", "BATCH_STORED 12",
        "BATCH_STORED 16", "BATCH_STORED 17", "BACKFILLED 17", "SWAPPED 17"),
        phases.stream().filter(p -> !p.startsWith("VERSION_REWRAPPED")).toList());
    assertSame(newKey, checks.soleOpener(store, oldKey, newKey));
    String retired = RotationChecks.refusal(store, oldKey).orElseThrow();
    assertEquals("root key " + oldKey.id() + " " + RootKeyCheck.RETIRED + ": this store is now under"
        + " root key " + newKey.id() + "; configure that key (rootKey.*)", retired);
    assertEquals(VersionState.DESTROYED,
        store.findKey("key-0000").orElseThrow().version(1).orElseThrow().state());
    NextWraps.Status status = store.nextWraps().status();
    assertEquals(new NextWraps.Status(Optional.of(newKey.id()), Optional.empty(), 17, 0,
        List.of(oldKey.id())), status);
    assertARerunFindsItDone();
    // Back to the retired key: a rotation like any other, after which that key is not retired.
    assertEquals(new RootKeyRotation.Result(17, 17, false),
        RootKeyRotation.rotate(store, newKey, oldKey, BATCH, RootKeyRotation.Progress.NONE));
    assertEquals(List.of(newKey.id()), store.nextWraps().status().retiredRootKeyIds());
    assertSame(oldKey, checks.soleOpener(store, oldKey, newKey));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void everyInterruptionLeavesOneKeyThatOpensEverythingAndARerunFinishes(String kind)
      throws Exception {
    setUp(kind);
    // Before anything is written, and right after the rotation is recorded.
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.BEGUN, 1)));
    assertInterruptedBeforeTheSwap();
    assertEquals(0, staged());
    // Mid-batch: three secrets re-wrapped in memory, none committed.
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.VERSION_REWRAPPED, 3)));
    assertInterruptedBeforeTheSwap();
    assertEquals(0, staged());
    // Between batches: the first batch committed.
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.BATCH_STORED, 1)));
    assertInterruptedBeforeTheSwap();
    assertEquals(BATCH, staged());
    // A keyserver holding the old key keeps adding versions, and a version is destroyed.
    addVersionWith(oldKey, "key-0001");
    destroy("key-0002", 1);
    // Mid-batch again, in the second batch of this run.
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.VERSION_REWRAPPED, BATCH + 2)));
    assertInterruptedBeforeTheSwap();
    assertEquals(2 * BATCH, staged());
    // Every version re-wrapped, just before the swap.
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.BACKFILLED, 1)));
    assertInterruptedBeforeTheSwap();
    assertEquals(17, staged());
    // Mid-swap: a version added after the backfill is re-wrapped inside the swap transaction, and
    // the crash there rolls the whole swap back.
    AtomicBoolean backfilled = new AtomicBoolean();
    assertThrows(Crash.class, () -> rotate((phase, count) -> {
      if (phase == Phase.BACKFILLED) {
        addVersionWith(oldKey, "key-0003");
        backfilled.set(true);
      } else if (phase == Phase.VERSION_REWRAPPED && backfilled.get()) {
        throw new Crash("inside the swap");
      }
    }));
    assertInterruptedBeforeTheSwap();
    assertEquals(17, staged());
    assertEquals(18, checks.plaintexts.size());
    // Right after the swap committed: the new key alone opens everything.
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.SWAPPED, 1)));
    assertSame(newKey, checks.soleOpener(store, oldKey, newKey));
    assertTrue(RotationChecks.refusal(store, oldKey).orElseThrow().contains(RootKeyCheck.RETIRED));
    assertARerunFindsItDone();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void versionsAddedDuringTheSwapWindowAreSwappedAndTheOldKeyCannotAddAfterIt(String kind)
      throws Exception {
    setUp(kind);
    AtomicInteger added = new AtomicInteger();
    RootKeyRotation.Result result = rotate((phase, count) -> {
      if (phase == Phase.BATCH_STORED || phase == Phase.BACKFILLED) {
        addVersionWith(oldKey, "key-0004"); // behind and ahead of the backfill's cursor
        addVersionWith(oldKey, "key-0000");
        added.addAndGet(2);
      }
    });
    assertEquals(17 + added.get(), result.versions());
    assertSame(newKey, checks.soleOpener(store, oldKey, newKey));

    // A keyserver that holds only the old key can no longer add a version: nothing is written.
    int before = store.findKey("key-0001").orElseThrow().versions().size();
    KeyserverException refused = assertThrows(KeyserverException.class,
        () -> store.addPrimaryVersion("key-0001", (v, id) -> checks.wrapNew(oldKey, "key-0001", v),
            clock.instant()));
    checks.plaintexts.remove("key-0001/" + (before + 1));
    assertEquals(ErrorCode.FAILED_PRECONDITION, refused.code());
    assertTrue(refused.getMessage().contains("this store's root key " + newKey.id()), refused.getMessage());
    assertEquals(before, store.findKey("key-0001").orElseThrow().versions().size());
    assertThrows(KeyserverException.class, () -> store.createKey("other", KeySettings.NONE,
        checks.wrapNew(oldKey, "other", 1), clock.instant()));
    checks.plaintexts.remove("other/1");
    addVersionWith(newKey, "key-0001");
    assertSame(newKey, checks.soleOpener(store, oldKey, newKey));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void wrongKeysAndASecondRotationAreRefusedAndAnAbortKeepsTheOldKey(String kind) throws Exception {
    setUp(kind);
    FileRootKey stranger = FileRootKey.createIfMissing(dir.resolve("stranger.key"));
    assertThrows(RootKeyException.class, () -> RootKeyRotation.rotate(store, oldKey, oldKey));
    RootKeyException notTheStoresKey = assertThrows(RootKeyException.class,
        () -> RootKeyRotation.rotate(store, stranger, newKey));
    assertEquals(RootKeyCheck.MISMATCH, notTheStoresKey.getMessage());
    assertEquals(Optional.empty(), store.nextWraps().status().nextRootKeyId());

    assertThrows(Crash.class, () -> rotate(crashAt(Phase.BATCH_STORED, 2)));
    KeyserverException second = assertThrows(KeyserverException.class,
        () -> RootKeyRotation.rotate(store, oldKey, stranger));
    assertEquals(ErrorCode.FAILED_PRECONDITION, second.code());
    assertTrue(second.getMessage().contains("rotation to root key " + newKey.id() + " is in progress"),
        second.getMessage());
    assertThrows(RootKeyException.class, () -> RootKeyRotation.abort(store, newKey));
    assertEquals(2 * BATCH, staged());

    assertTrue(RootKeyRotation.abort(store, oldKey));
    assertFalse(RootKeyRotation.abort(store, oldKey));
    assertEquals(RootKeyCheck.MISMATCH, RotationChecks.refusal(store, newKey).orElseThrow());
    assertSame(oldKey, checks.soleOpener(store, oldKey, newKey));
    assertEquals(new RootKeyRotation.Result(17, 17, false),
        RootKeyRotation.rotate(store, oldKey, stranger, BATCH, RootKeyRotation.Progress.NONE));
    assertSame(stranger, checks.soleOpener(store, oldKey, stranger));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void backupsSayWhichRootKeyTheirWrapsAreUnder(String kind) throws Exception {
    setUp(kind);
    assertThrows(Crash.class, () -> rotate(crashAt(Phase.BACKFILLED, 1)));
    BackupSummary during = Backups.create(store, dir.resolve("during.backup"));
    assertEquals(Set.of(oldKey.id()), during.rootKeyIds());
    rotate(RootKeyRotation.Progress.NONE);
    BackupSummary after = Backups.create(store, dir.resolve("after.backup"));
    assertEquals(Set.of(newKey.id()), after.rootKeyIds());

    // The backup made mid-rotation restores to a store the old key alone opens, not rotating.
    try (JdbcKeyStore restored = Stores.open("sqlite:" + dir.resolve("restored.db"))) {
      Backups.restore(restored, dir.resolve("during.backup"), false);
      assertEquals(Optional.empty(), restored.nextWraps().status().nextRootKeyId());
      assertSame(oldKey, checks.soleOpener(restored, oldKey, newKey));
      Backups.restore(restored, dir.resolve("after.backup"), true);
      assertSame(newKey, checks.soleOpener(restored, oldKey, newKey));
    }
  }

  @Test
  void theCommandLineRotatesFromAPassphraseToAKeyFileAndReportsStatus() throws Exception {
    Path passphrase = dir.resolve("passphrase");
    Files.writeString(passphrase, "correct horse battery staple\n");
    Files.setPosixFilePermissions(passphrase, PosixFilePermissions.fromString("rw-------"));
    location = "sqlite:" + dir.resolve("keyward.db");
    try (JdbcKeyStore s = Stores.open(location)) {
      PassphraseRootKey old = PassphraseRootKey.fromFile(passphrase, s);
      checks.seed(s, old, 3, 2, clock.instant());
    }
    newKey = FileRootKey.createIfMissing(dir.resolve("new.key"));
    String[] rotate = {"rotate", "--store", location, "--old-passphrase-env", "OLD_PASSPHRASE",
        "--new-key-file", dir.resolve("new.key").toString(), "--batch-size", "2"};
    Map<String, String> env = Map.of("OLD_PASSPHRASE", "correct horse battery staple");

    Cli status = Cli.run(Map.of(), "status", "--store", location);
    assertEquals(0, status.code, status.err);
    assertTrue(status.out.contains("no rotation in progress; 6 live versions"), status.out);
    Cli done = Cli.run(env, rotate);
    assertEquals(0, done.code, done.err);
    assertTrue(done.out.contains("re-wrapped 2\nre-wrapped 4\nre-wrapped 6\n"), done.out);
    assertTrue(done.out.contains("6 versions now under the new key"), done.out);
    Cli again = Cli.run(env, rotate);
    assertEquals(0, again.code, again.err);
    assertTrue(again.out.contains("already under root key " + newKey.id()), again.out);
    Cli after = Cli.run(Map.of(), "status", "--store", location);
    assertTrue(after.out.startsWith("root key: " + newKey.id()), after.out);
    assertTrue(after.out.contains("retired root keys: "), after.out);
    try (JdbcKeyStore s = Stores.open(location)) {
      assertEquals(List.of(), checks.unopenable(s, newKey));
    }

    assertEquals(2, Cli.run(Map.of(), "rotate", "--store", location).code);
    assertEquals(2, Cli.run(Map.of(), "spin", "--store", location).code);
    assertEquals(2, Cli.run(env, "rotate", "--store", location, "--old-passphrase-env",
        "OLD_PASSPHRASE", "--new-key-file", "x", "--batch-size", "0").code);
    Cli unset = Cli.run(Map.of(), rotate);
    assertEquals(1, unset.code);
    assertTrue(unset.err.contains("OLD_PASSPHRASE is not set"), unset.err);
  }

  /** One run of the command line, with what it printed. */
  private record Cli(int code, String out, String err) {
    static Cli run(Map<String, String> env, String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = RootKeyRotationMain.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  /** A simulated crash of the rotating process. */
  static final class Crash extends RuntimeException {
    Crash(String where) {
      super("simulated crash at " + where);
    }
  }
}
