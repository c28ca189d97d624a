package io.keyward.keyserver.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Durable storage of keys, versions and the policy document. Every mutating method commits (and
 * syncs to disk) before it returns: an acknowledged change survives a crash. Implementations are
 * thread-safe.
 *
 * <p>Failures: a missing key is {@code KeyserverException(NOT_FOUND)}; a conflicting state change
 * is {@code FAILED_PRECONDITION}; an existing name on create is {@code ALREADY_EXISTS}; a store
 * that cannot be reached is {@code UNAVAILABLE}. No other exception escapes.
 */
public interface KeyStore extends AutoCloseable {

  /**
   * Creates {@code name} with version 1 (ENABLED, primary, min decryption version 1), wrapped by
   * {@code firstVersion} inside the transaction under the store's root key. Refuses
   * (FAILED_PRECONDITION) a wrap under another root key than the one the store records.
   */
  KeyRecord createKey(String name, KeySettings settings, SecretWrapper firstVersion, Instant now);

  /** As above with a secret already wrapped (it must be under the store's root key). */
  default KeyRecord createKey(
      String name, KeySettings settings, WrappedSecret firstVersion, Instant now) {
    return createKey(name, settings, (version, storeRootKey) -> firstVersion, now);
  }

  Optional<KeyRecord> findKey(String name);

  /** All keys, sorted by name. */
  List<KeyRecord> listKeys();

  /**
   * Adds version max+1 (ENABLED) and makes it primary, in one transaction: concurrent calls yield
   * distinct versions and exactly one primary. {@code secretForVersion} is called inside the
   * transaction with the new version number, so the root-key wrap can be bound to it, and with
   * the store's root key; a wrap under another root key is refused (FAILED_PRECONDITION).
   */
  KeyRecord addPrimaryVersion(String name, SecretWrapper secretForVersion, Instant now);

  /** As above for a caller that wraps with the store's root key in any case. */
  default KeyRecord addPrimaryVersion(
      String name, IntFunction<WrappedSecret> secretForVersion, Instant now) {
    return addPrimaryVersion(
        name, (version, storeRootKey) -> secretForVersion.apply(version), now);
  }

  /**
   * Moves {@code version} to {@code state}. {@code destroyAt} is required for DESTROY_SCHEDULED
   * and ignored otherwise. Refuses (FAILED_PRECONDITION) to leave ENABLED for the primary, and to
   * leave DESTROYED.
   */
  KeyRecord setVersionState(String name, int version, VersionState state, Optional<Instant> destroyAt);

  /** Refuses (FAILED_PRECONDITION) a minimum above the primary version or below 1. */
  KeyRecord setMinDecryptionVersion(String name, int minDecryptionVersion);

  /** Erases the wrapped secret of every DESTROY_SCHEDULED version whose time has come. */
  List<KeyRecord> destroyDueVersions(Instant now);

  /** Adds to the data-key counters: key name → (version → count). One transaction. */
  void addDataKeysIssued(Map<String, Map<Integer, Long>> counts);

  Optional<StoredPolicy> policy();

  /**
   * Stores a new policy document with revision = old + 1. When {@code expectedRevision} is
   * present and differs from the stored one, fails with FAILED_PRECONDITION.
   */
  StoredPolicy putPolicy(String document, Optional<Long> expectedRevision, Instant now);

  /** A small value stored beside the keys (e.g. the root-key check value). */
  Optional<byte[]> metadata(String name);

  void putMetadata(String name, byte[] value);

  /**
   * Everything this store holds except the audit log, read in one consistent snapshot: every key
   * with all its versions (secrets under their authoritative wrap), the policy and the metadata
   * (root-key check value and id, passphrase KDF parameters). A root-key rotation in progress is
   * left out: its next wraps are not authoritative yet.
   */
  StoreSnapshot snapshot();

  /**
   * Writes {@code snapshot} into this store in one transaction. Refuses with FAILED_PRECONDITION a
   * store that already holds a key or a policy, unless {@code replaceExisting}: then every key,
   * the policy and the metadata are replaced (the audit log is kept).
   */
  void restore(StoreSnapshot snapshot, boolean replaceExisting);

  @Override
  void close();
}
