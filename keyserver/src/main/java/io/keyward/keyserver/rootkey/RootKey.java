package io.keyward.keyserver.rootkey;

import java.util.List;
import java.util.Optional;

/**
 * The key at the top of the hierarchy. Its material never leaves the provider (a file, a
 * passphrase-derived key, an HSM); callers only ask it to wrap and unwrap version secrets.
 * Thread-safe.
 */
public interface RootKey extends AutoCloseable {

  /** A stable, non-secret identifier (e.g. a fingerprint), stored beside what this key wrapped. */
  String id();

  /** AES-256-GCM (or the provider's equivalent) with a fresh nonce, bound to {@code aad}. */
  byte[] wrap(byte[] plaintext, byte[] aad);

  /**
   * @throws RootKeyException when the wrapped value does not open under this key and aad (wrong
   *     root key, tampered value, wrong aad): the message never contains key bytes
   */
  byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException;

  /** The keys this one holds: itself, or both keys of a {@link RootKeyRing}. */
  default List<RootKey> keys() {
    return List.of(this);
  }

  /** The held key whose id is {@code id}, to wrap or unwrap under exactly that key. */
  default Optional<RootKey> keyWithId(String id) {
    return keys().stream().filter(k -> k.id().equals(id)).findFirst();
  }

  @Override
  void close();
}
