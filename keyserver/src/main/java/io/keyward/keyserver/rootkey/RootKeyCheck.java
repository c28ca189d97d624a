package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.store.KeyStore;
import io.keyward.keyserver.store.RootKeyMetadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the configured root key is the one a store is under, and says clearly why not: the
 * wrong key, a rotation to this key that has not finished, or a key a rotation retired.
 */
public final class RootKeyCheck {
  private static final Logger log = LoggerFactory.getLogger(RootKeyCheck.class);

  static final String METADATA = RootKeyMetadata.CHECK;
  static final String MISMATCH =
      "the root key does not open this store (wrong key file or passphrase?)";
  static final String ROTATION_IN_PROGRESS = "a root-key rotation to root key ";
  static final String RETIRED = "was retired by a root-key rotation";
  private static final byte[] AAD = "keyward/rootkey-check".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CHECK_VALUE =
      "keyward root key check value v1".getBytes(StandardCharsets.UTF_8);

  private RootKeyCheck() {}

  /**
   * On a store without a check value, stores one wrapped by {@code rootKey} and records its id
   * (unless the store's keys were wrapped by a root key with another id). Otherwise opens the
   * stored check value, proving that {@code rootKey} (or, for a {@link RootKeyRing}, one of its
   * keys) is the key this store is under. Call at start-up, before serving: a server with the wrong
   * root key must not start (it would fail every unwrap).
   *
   * @throws RootKeyException when the stored check value does not open: the message says whether a
   *     rotation to this key is still in progress (and how to finish it), whether a rotation
   *     retired this key, or else "the root key does not open this store (wrong key file or
   *     passphrase?)"
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
      store.putMetadata(METADATA, wrapCheckValue(rootKey));
      store.putMetadata(RootKeyMetadata.ID, ascii(rootKey.id()));
      log.info("stored the check value of root key {}", rootKey.id());
      return;
    }
    Optional<RootKey> opener = rootKey.keys().stream().filter(k -> opens(k, stored.get())).findFirst();
    if (opener.isEmpty()) {
      throw new RootKeyException(refusal(store, rootKey));
    }
    if (store.metadata(RootKeyMetadata.ID).isEmpty()) {
      store.putMetadata(RootKeyMetadata.ID, ascii(opener.get().id())); // a store from before ids
    }
    Optional<String> next = text(store, RootKeyMetadata.NEXT_ID);
    if (next.isPresent()) {
      log.info("a root-key rotation from root key {} to {} is in progress; this keyserver {}",
          opener.get().id(), next.get(), rootKey.keyWithId(next.get()).isPresent()
              ? "holds both keys and keeps serving after the swap"
              : "must be restarted with the new root key once the rotation has finished");
    }
  }

  /** True when {@code check} (a stored check value) opens under {@code key}. */
  static boolean opens(RootKey key, byte[] check) {
    try {
      byte[] opened = key.unwrap(check, AAD);
      boolean equal = MessageDigest.isEqual(opened, CHECK_VALUE);
      Arrays.fill(opened, (byte) 0);
      return equal;
    } catch (RootKeyException e) {
      return false;
    }
  }

  /** The check value wrapped by {@code key}, to store for a store that will be under it. */
  static byte[] wrapCheckValue(RootKey key) {
    return key.wrap(CHECK_VALUE, AAD);
  }

  private static String refusal(KeyStore store, RootKey rootKey) {
    String storeKey = text(store, RootKeyMetadata.ID).map(id -> " " + id).orElse("");
    Optional<String> next = text(store, RootKeyMetadata.NEXT_ID);
    if (next.isPresent() && rootKey.keyWithId(next.get()).isPresent()) {
      return ROTATION_IN_PROGRESS + next.get() + " is in progress and has not finished: until it"
          + " has, this store opens only with its current root key" + storeKey + ". Finish it with"
          + " `keyward root-key rotate --store URL OLD NEW` (safe to rerun), then start with the new"
          + " root key; meanwhile start with the current root key, or with both (rootKey = new,"
          + " rootKey.previous* = current)";
    }
    List<String> retired =
        text(store, RootKeyMetadata.RETIRED).map(t -> List.of(t.split("\n"))).orElse(List.of());
    for (RootKey key : rootKey.keys()) {
      if (retired.contains(key.id())) {
        return "root key " + key.id() + " " + RETIRED + ": this store is now under root key"
            + storeKey + "; configure that key (rootKey.*)";
      }
    }
    return MISMATCH;
  }

  private static Optional<String> text(KeyStore store, String name) {
    return store.metadata(name).map(v -> new String(v, StandardCharsets.UTF_8));
  }

  private static byte[] ascii(String id) {
    return id.getBytes(StandardCharsets.UTF_8);
  }
}
