package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.keys.KeyCatalog;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeyStore;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.WrappedSecret;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-wraps every version secret of a store under a new root key, online and crash-safe.
 *
 * <p>Each secret is re-wrapped in its own transaction (compare-and-set on the old wrapped value),
 * recording the new root key's id. An interrupted rotation leaves secrets under both keys, which a
 * server configured with both ({@link RootKeyRing}) serves; running the rotation again skips what
 * is done and finishes. The root-key check value is re-wrapped last, so until every secret is under
 * the new key the store still starts with the old key as its current key; once it is re-wrapped
 * the old key is retired: the store no longer needs it.
 */
public final class RootKeyRotation {
  private static final Logger log = LoggerFactory.getLogger(RootKeyRotation.class);
  /** Passes over the store; more than one only when servers wrapped new versions meanwhile. */
  private static final int MAX_PASSES = 5;

  private RootKeyRotation() {}

  /** What one run did. */
  public record Result(int rewrapped, int alreadyUnderNewKey, int destroyed) {}

  /**
   * Rotates {@code store} from {@code oldKey} to {@code newKey}. Plaintext secrets exist only in
   * memory, one at a time, and are wiped after re-wrapping; nothing secret is logged.
   *
   * @throws RootKeyException when the store's check value opens under neither key, or a secret is
   *     wrapped by a third root key or does not open under the key its id names (the store is left
   *     as it was for that secret; rerun after fixing the configuration)
   */
  public static Result rotate(KeyStore store, RootKey oldKey, RootKey newKey)
      throws RootKeyException {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(oldKey, "oldKey");
    Objects.requireNonNull(newKey, "newKey");
    if (oldKey.id().equals(newKey.id())) {
      throw new RootKeyException("the new root key is the old one (id " + oldKey.id() + ")");
    }
    // Refuse before touching anything if these keys are not this store's.
    RootKeyCheck.verifyOrInitialize(store, RootKeyRing.of(newKey, oldKey));
    int rewrapped = 0;
    int already = 0;
    int destroyed = 0;
    for (int pass = 1; pass <= MAX_PASSES; pass++) {
      int left = 0;
      already = 0;
      destroyed = 0;
      for (KeyRecord key : store.listKeys()) {
        for (KeyVersionRecord version : key.versions()) {
          Optional<WrappedSecret> secret = version.wrappedSecret();
          if (secret.isEmpty()) {
            destroyed++;
          } else if (secret.get().rootKeyId().equals(newKey.id())) {
            already++;
          } else if (rewrap(store, key.name(), version.version(), secret.get(), oldKey, newKey)) {
            rewrapped++;
          } else {
            left++; // changed meanwhile (destroyed or re-wrapped by a concurrent run): look again
          }
        }
      }
      if (left == 0 && remainingUnderOldKey(store, newKey) == 0) {
        RootKeyCheck.rewrap(store, oldKey, newKey);
        log.info(
            "root key rotation {} -> {} complete: {} secrets re-wrapped, {} already done",
            oldKey.id(), newKey.id(), rewrapped, already);
        return new Result(rewrapped, already, destroyed);
      }
    }
    throw new RootKeyException(
        "versions keep appearing under the old root key: restart every keyserver with the new"
            + " root key as current (rootKey.previousFile = the old key), then run the rotation again");
  }

  private static boolean rewrap(
      KeyStore store, String name, int version, WrappedSecret wrapped, RootKey oldKey, RootKey newKey)
      throws RootKeyException {
    if (!wrapped.rootKeyId().equals(oldKey.id())) {
      throw new RootKeyException(
          "version " + version + " of key " + name + " is wrapped by root key "
              + wrapped.rootKeyId() + ", neither the old nor the new one");
    }
    byte[] aad = KeyCatalog.versionSecretAad(name, version);
    byte[] secret = oldKey.unwrap(wrapped.ciphertext(), aad);
    try {
      WrappedSecret replacement = new WrappedSecret(newKey.id(), newKey.wrap(secret, aad));
      return store.replaceWrappedSecret(name, version, wrapped, replacement);
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  private static long remainingUnderOldKey(KeyStore store, RootKey newKey) {
    return store.listKeys().stream()
        .flatMap(k -> k.versions().stream())
        .flatMap(v -> v.wrappedSecret().stream())
        .filter(w -> !w.rootKeyId().equals(newKey.id()))
        .count();
  }
}
