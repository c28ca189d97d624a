package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.keys.KeyCatalog;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.Stores;
import io.keyward.keyserver.store.VersionState;
import io.keyward.keyserver.store.WrappedSecret;
import io.keyward.testing.FakeClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootKeyRotationTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.startingAt2026();
  private JdbcKeyStore store;
  private FileRootKey oldKey;
  private FileRootKey newKey;
  /** Every live version's plaintext secret, to prove nothing changed but the wrapping. */
  private final Map<String, byte[]> plaintexts = new HashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
    oldKey = FileRootKey.createIfMissing(dir.resolve("old.key"));
    newKey = FileRootKey.createIfMissing(dir.resolve("new.key"));
    RootKeyCheck.verifyOrInitialize(store, oldKey);
    for (int k = 0; k < 6; k++) {
      String name = "key-" + k;
      store.createKey(name, KeySettings.NONE, wrapNew(oldKey, name, 1), clock.instant());
      for (int v = 2; v <= 3; v++) {
        int version = v;
        store.addPrimaryVersion(name, n -> wrapNew(oldKey, name, n), clock.instant());
        assertEquals(version, store.findKey(name).orElseThrow().primaryVersion());
      }
    }
    // One destroyed version: nothing to re-wrap, and it must stay destroyed.
    store.setVersionState(
        "key-0", 1, VersionState.DESTROY_SCHEDULED, Optional.of(clock.instant()));
    store.destroyDueVersions(clock.instant());
    plaintexts.remove("key-0/1");
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private WrappedSecret wrapNew(RootKey key, String name, int version) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    plaintexts.put(name + "/" + version, secret);
    return new WrappedSecret(key.id(), key.wrap(secret, KeyCatalog.versionSecretAad(name, version)));
  }

  /** Opens every live secret with {@code key} and compares it with the original. */
  private List<String> unopenable(RootKey key) {
    List<String> failures = new ArrayList<>();
    for (KeyRecord k : store.listKeys()) {
      for (KeyVersionRecord v : k.versions()) {
        if (v.wrappedSecret().isEmpty()) {
          continue;
        }
        try {
          byte[] opened =
              key.unwrap(
                  v.wrappedSecret().get().ciphertext(),
                  KeyCatalog.versionSecretAad(k.name(), v.version()));
          if (!java.util.Arrays.equals(opened, plaintexts.get(k.name() + "/" + v.version()))) {
            failures.add(k.name() + "/" + v.version() + " changed");
          }
        } catch (RootKeyException e) {
          failures.add(k.name() + "/" + v.version());
        }
      }
    }
    return failures;
  }

  private long secretsUnder(RootKey key) {
    return store.listKeys().stream()
        .flatMap(k -> k.versions().stream())
        .flatMap(v -> v.wrappedSecret().stream())
        .filter(w -> w.rootKeyId().equals(key.id()))
        .count();
  }

  @Test
  void rotatesEverySecretAndRetiresTheOldKey() throws Exception {
    RootKeyRotation.Result result = RootKeyRotation.rotate(store, oldKey, newKey);
    assertEquals(new RootKeyRotation.Result(17, 0, 1), result);
    assertEquals(17, secretsUnder(newKey));
    assertEquals(List.of(), unopenable(newKey));
    RootKeyCheck.verifyOrInitialize(store, newKey);
    RootKeyException retired =
        assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, oldKey));
    assertEquals(RootKeyCheck.MISMATCH, retired.getMessage());
    assertEquals(VersionState.DESTROYED, store.findKey("key-0").orElseThrow().version(1).orElseThrow().state());
    // Rerunning a finished rotation is harmless.
    assertEquals(new RootKeyRotation.Result(0, 17, 1), RootKeyRotation.rotate(store, oldKey, newKey));
  }

  @Test
  void anInterruptedRotationLeavesAStoreBothKeysOpenAndARerunFinishesIt() throws Exception {
    RootKey failing = new FailingAfter(newKey, 7);
    KeyserverException crash =
        assertThrows(KeyserverException.class, () -> RootKeyRotation.rotate(store, oldKey, failing));
    assertEquals(ErrorCode.UNAVAILABLE, crash.code());
    assertEquals(7, secretsUnder(newKey));
    assertEquals(10, secretsUnder(oldKey));

    // Mid-rotation: the check value is still the old key's, so the old key alone still starts...
    RootKeyCheck.verifyOrInitialize(store, oldKey);
    // ...and a server with both keys (either one as current) opens every secret.
    assertEquals(List.of(), unopenable(RootKeyRing.of(newKey, oldKey)));
    assertEquals(List.of(), unopenable(RootKeyRing.of(oldKey, newKey)));
    RootKeyCheck.verifyOrInitialize(store, RootKeyRing.of(newKey, oldKey));
    // The new key alone is refused until the rotation completes.
    assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, newKey));

    RootKeyRotation.Result rerun = RootKeyRotation.rotate(store, oldKey, newKey);
    assertEquals(new RootKeyRotation.Result(10, 7, 1), rerun);
    assertEquals(List.of(), unopenable(newKey));
    RootKeyCheck.verifyOrInitialize(store, newKey);
    assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, oldKey));
  }

  @Test
  void versionsAddedMidRotationByAServerWithTheRingAreUnderTheNewKey() throws Exception {
    assertThrows(
        KeyserverException.class,
        () -> RootKeyRotation.rotate(store, oldKey, new FailingAfter(newKey, 3)));
    RootKeyRing ring = RootKeyRing.of(newKey, oldKey);
    store.addPrimaryVersion("key-1", n -> wrapNew(ring, "key-1", n), clock.instant());
    assertEquals(newKey.id(), store.findKey("key-1").orElseThrow().primary().wrappedSecret().orElseThrow().rootKeyId());
    clock.advance(Duration.ofMinutes(1));
    assertEquals(new RootKeyRotation.Result(14, 4, 1), RootKeyRotation.rotate(store, oldKey, newKey));
    assertEquals(List.of(), unopenable(newKey));
  }

  @Test
  void wrongKeysAreRefusedBeforeAnythingChanges() throws Exception {
    FileRootKey stranger = FileRootKey.createIfMissing(dir.resolve("stranger.key"));
    assertThrows(RootKeyException.class, () -> RootKeyRotation.rotate(store, oldKey, oldKey));
    assertThrows(RootKeyException.class, () -> RootKeyRotation.rotate(store, stranger, newKey));
    assertEquals(17, secretsUnder(oldKey));
    assertEquals(List.of(), unopenable(oldKey));
  }

  @Test
  void theCommandLineRotatesWithKeyFiles() {
    store.close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = {
      "--store", "sqlite:" + dir.resolve("keyward.db"),
      "--old-key-file", dir.resolve("old.key").toString(),
      "--new-key-file", dir.resolve("new.key").toString()
    };
    int code =
        RootKeyRotationMain.run(
            args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("17 secrets re-wrapped"), out.toString(StandardCharsets.UTF_8));
    assertEquals(
        2,
        RootKeyRotationMain.run(
            new String[] {"--store", "sqlite:" + dir.resolve("keyward.db")}, Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8)));
    store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
    assertEquals(17, secretsUnder(newKey));
  }

  /** The new key, failing like a crashed process after {@code limit} wraps. */
  private static final class FailingAfter implements RootKey {
    private final RootKey delegate;
    private final int limit;
    private final AtomicInteger wraps = new AtomicInteger();

    FailingAfter(RootKey delegate, int limit) {
      this.delegate = delegate;
      this.limit = limit;
    }

    @Override
    public String id() {
      return delegate.id();
    }

    @Override
    public byte[] wrap(byte[] plaintext, byte[] aad) {
      if (wraps.incrementAndGet() > limit) {
        throw KeyserverException.unavailable("simulated crash", null);
      }
      return delegate.wrap(plaintext, aad);
    }

    @Override
    public byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
      return delegate.unwrap(wrapped, aad);
    }

    @Override
    public void close() {}
  }
}
