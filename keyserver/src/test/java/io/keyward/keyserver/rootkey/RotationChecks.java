package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.keys.KeyCatalog;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.PostgresDatabases;
import io.keyward.keyserver.store.StoreSnapshot;
import io.keyward.keyserver.store.VersionState;
import io.keyward.keyserver.store.WrappedSecret;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a root-key rotation must keep true at every instant, checked on a real store: exactly one
 * of the two keys opens it (its check value and every live version secret, to the same bytes as
 * before), and the other one opens nothing.
 */
public final class RotationChecks {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Every live version's plaintext secret by "key/version", to prove nothing but the wrap changed. */
  public final Map<String, byte[]> plaintexts = new ConcurrentHashMap<>();

  /** A fresh secret for {@code name} v{@code version}, remembered, wrapped by {@code key}. */
  public WrappedSecret wrapNew(RootKey key, String name, int version) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    plaintexts.put(name + "/" + version, secret);
    return new WrappedSecret(key.id(), key.wrap(secret, KeyCatalog.versionSecretAad(name, version)));
  }

  /**
   * Fills an empty store in one transaction with {@code keys} keys of {@code versions} versions
   * each, wrapped by {@code key}, then records {@code key} as the store's root key.
   */
  public void seed(JdbcKeyStore store, RootKey key, int keys, int versions, Instant now)
      throws RootKeyException {
    List<KeyRecord> records = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      String name = String.format("key-%04d", k);
      List<KeyVersionRecord> list = new ArrayList<>();
      for (int v = 1; v <= versions; v++) {
        list.add(new KeyVersionRecord(v, VersionState.ENABLED, now, Optional.empty(), 0,
            Optional.of(wrapNew(key, name, v))));
      }
      records.add(new KeyRecord(name, now, versions, 1, KeySettings.NONE, list));
    }
    // Keeps the metadata there is (a passphrase key's KDF salt).
    store.restore(new StoreSnapshot(records, Optional.empty(), store.snapshot().metadata()), false);
    RootKeyCheck.verifyOrInitialize(store, key);
  }

  /**
   * A store location of {@code kind} ("sqlite": a file in {@code dir}; "postgresql": a database
   * of its own, dropped when {@code cleanup} is closed in the test's tear-down).
   */
  public static String location(String kind, Path dir, List<AutoCloseable> cleanup) {
    if (kind.equals("postgresql")) {
      PostgresDatabases.TestDatabase db = PostgresDatabases.create();
      cleanup.add(db);
      return db.location();
    }
    return "sqlite:" + dir.resolve("keyward.db");
  }

  /** Forgets versions the store no longer holds a secret for (destroyed). */
  public void forgetDestroyed(JdbcKeyStore store) {
    for (KeyRecord k : store.listKeys()) {
      for (KeyVersionRecord v : k.versions()) {
        if (v.wrappedSecret().isEmpty()) {
          plaintexts.remove(k.name() + "/" + v.version());
        }
      }
    }
  }

  /** Live versions whose authoritative wrap does not open under {@code key} to the same bytes. */
  public List<String> unopenable(JdbcKeyStore store, RootKey key) {
    List<String> failures = new ArrayList<>();
    int live = 0;
    for (KeyRecord k : store.listKeys()) {
      for (KeyVersionRecord v : k.versions()) {
        if (v.wrappedSecret().isEmpty()) {
          continue;
        }
        live++;
        String id = k.name() + "/" + v.version();
        try {
          byte[] opened = key.unwrap(v.wrappedSecret().get().ciphertext(),
              KeyCatalog.versionSecretAad(k.name(), v.version()));
          if (!Arrays.equals(opened, plaintexts.get(id))) {
            failures.add(id + " changed");
          }
        } catch (RootKeyException e) {
          failures.add(id);
        }
      }
    }
    assertEquals(plaintexts.size(), live, "live versions in the store");
    return failures;
  }

  /**
   * Asserts that exactly one of the two keys opens the store (start-up check and every version
   * secret) and the other opens nothing, and returns the one that does.
   */
  public RootKey soleOpener(JdbcKeyStore store, RootKey oldKey, RootKey newKey) {
    Optional<String> oldRefused = refusal(store, oldKey);
    Optional<String> newRefused = refusal(store, newKey);
    assertTrue(oldRefused.isPresent() != newRefused.isPresent(),
        "exactly one key must open the store; old: " + oldRefused.orElse("opens")
            + ", new: " + newRefused.orElse("opens"));
    RootKey opener = oldRefused.isEmpty() ? oldKey : newKey;
    RootKey other = opener == oldKey ? newKey : oldKey;
    assertEquals(List.of(), unopenable(store, opener), "versions the sole key does not open");
    assertEquals(plaintexts.size(), unopenable(store, other).size(),
        "the other key must open no version");
    return opener;
  }

  /** Why {@code key} alone is refused at start-up, or empty when it is accepted. */
  public static Optional<String> refusal(JdbcKeyStore store, RootKey key) {
    try {
      RootKeyCheck.verifyOrInitialize(store, key);
      return Optional.empty();
    } catch (RootKeyException e) {
      return Optional.of(e.getMessage());
    }
  }
}
