package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.store.KeyStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Makes sure the configured root key is the one that wrapped a store's keys. */
public final class RootKeyCheck {
  private static final Logger log = LoggerFactory.getLogger(RootKeyCheck.class);

  static final String METADATA = "rootkey.check";
  static final String MISMATCH =
      "the root key does not open this store (wrong key file or passphrase?)";
  private static final byte[] AAD = "keyward/rootkey-check".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CHECK_VALUE =
      "keyward root key check value v1".getBytes(StandardCharsets.UTF_8);

  private RootKeyCheck() {}

  /**
   * On a store without a check value, stores one wrapped by {@code rootKey} (unless the store's
   * keys were wrapped by a root key with another id). Otherwise opens the stored check value,
   * proving that {@code rootKey} is the key this store was set up with. Call at start-up, before
   * serving: a server with the wrong root key must not start (it would fail every unwrap and,
   * worse, wrap new versions under a key nobody else has).
   *
   * @throws RootKeyException with "the root key does not open this store (wrong key file or
   *     passphrase?)" when the stored check value does not open
   */
  public static void verifyOrInitialize(KeyStore store, RootKey rootKey) throws RootKeyException {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(rootKey, "rootKey");
    Optional<byte[]> stored = store.metadata(METADATA);
    if (stored.isEmpty()) {
      // A store that already holds keys but no check value: its secrets name the root key that
      // wrapped them, so a different key is still caught before it is accepted.
      boolean foreign =
          store.listKeys().stream()
              .flatMap(k -> k.versions().stream())
              .flatMap(v -> v.wrappedSecret().stream())
              .anyMatch(w -> !w.rootKeyId().equals(rootKey.id()));
      if (foreign) {
        throw new RootKeyException(MISMATCH);
      }
      store.putMetadata(METADATA, rootKey.wrap(CHECK_VALUE, AAD));
      log.info("stored the check value of root key {}", rootKey.id());
      return;
    }
    byte[] opened;
    try {
      opened = rootKey.unwrap(stored.get(), AAD);
    } catch (RootKeyException e) {
      throw new RootKeyException(MISMATCH, e);
    }
    if (!MessageDigest.isEqual(opened, CHECK_VALUE)) {
      throw new RootKeyException(MISMATCH);
    }
  }

  /**
   * The last step of a root-key rotation: stores the check value wrapped by {@code newKey}, after
   * proving that the stored one opens under {@code oldKey} or {@code newKey}.
   */
  static void rewrap(KeyStore store, RootKey oldKey, RootKey newKey) throws RootKeyException {
    verifyOrInitialize(store, RootKeyRing.of(newKey, oldKey));
    store.putMetadata(METADATA, newKey.wrap(CHECK_VALUE, AAD));
    log.info("root key check value now wrapped by root key {}", newKey.id());
  }
}
