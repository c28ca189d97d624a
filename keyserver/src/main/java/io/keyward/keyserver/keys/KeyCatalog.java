package io.keyward.keyserver.keys;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.keyward.keyserver.KeyserverException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rootkey.RootKeyException;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.KeyStore;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.VersionState;
import io.keyward.keyserver.store.WrappedSecret;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys as the server works with them: store records cached for a bounded time, version secrets
 * unwrapped by the root key once and kept in memory, and data-key counters batched before they
 * reach the store. Thread-safe.
 *
 * <p>A cached record is at most {@code recordTtl} old, so a version disabled or destroyed through
 * another replica stops being served within that bound; changes made through this server
 * invalidate the cache at once.
 */
public final class KeyCatalog {
  private static final Logger log = LoggerFactory.getLogger(KeyCatalog.class);
  private static final String ROTATED =
      "this keyserver does not hold the store's root key (it was rotated): retry on another keyserver";
  private static final byte[] SECRET_AAD_PREFIX = "keyward/v1/version-secret".getBytes(StandardCharsets.US_ASCII);

  private final KeyStore store;
  private final RootKey rootKey;
  private final Clock clock;
  private final Cache<String, KeyRecord> records;
  private final Cache<VersionId, VersionSecret> secrets;
  private final Map<VersionId, LongAdder> pendingCounts = new ConcurrentHashMap<>();

  record VersionId(String keyName, int version) {}

  public KeyCatalog(KeyStore store, RootKey rootKey, Clock clock, Duration recordTtl) {
    this.store = store;
    this.rootKey = rootKey;
    this.clock = clock;
    Ticker ticker = () -> clock.millis() * 1_000_000L;
    // Housekeeping on the reading thread: both are read on I/O threads, which must not wake a pool thread.
    this.records = Caffeine.newBuilder().executor(Runnable::run).ticker(ticker).expireAfterWrite(recordTtl)
        .maximumSize(100_000).recordStats().build();
    this.secrets =
        Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumSize(100_000)
            .recordStats()
            .<VersionId, VersionSecret>removalListener((id, secret, cause) -> {
              if (secret != null) {
                secret.destroy();
              }
            })
            .build();
  }

  /** Exposes hit and miss counts of the record and secret caches (never their contents). */
  public void bindMetrics(MeterRegistry registry) {
    CaffeineCacheMetrics.monitor(registry, records, "keyward.key_records");
    CaffeineCacheMetrics.monitor(registry, secrets, "keyward.version_secrets");
  }

  public Clock clock() {
    return clock;
  }

  KeyStore store() {
    return store;
  }

  /** The key, from cache when fresh; NOT_FOUND when it does not exist. */
  KeyRecord key(String name) {
    KeyRecord cached = records.getIfPresent(name);
    if (cached != null) {
      return cached;
    }
    KeyRecord loaded =
        store.findKey(name).orElseThrow(() -> KeyserverException.notFound("key '" + name + "' does not exist"));
    records.put(name, loaded);
    return loaded;
  }

  /**
   * The key, fresh enough to hold {@code version}: a cached record without that version is read
   * again, because another replica may have rotated the key after we cached it (its data keys must
   * decrypt here at once, not after the record TTL).
   */
  KeyRecord keyWithVersion(String name, int version) {
    KeyRecord key = key(name);
    if (key.version(version).isPresent()) {
      return key;
    }
    forget(name);
    return key(name);
  }

  /**
   * Whether {@code version} of the key (its primary when empty) can be served from memory: record
   * and secret both cached. When not, serving it reads the store (and may call the root key).
   */
  boolean inMemory(String name, OptionalInt version) {
    // Through the map views: a look that is not a use must not count as a hit in the cache metrics.
    KeyRecord key = records.asMap().get(name);
    if (key == null) {
      return false;
    }
    Optional<KeyVersionRecord> wanted = version.isPresent() ? key.version(version.getAsInt()) : Optional.of(key.primary());
    return wanted.isPresent() && secrets.asMap().containsKey(new VersionId(name, wanted.get().version()));
  }

  /** Version-secret cache hits so far (what the cache metrics report). */
  long secretHits() {
    return secrets.stats().hitCount();
  }

  /** Records a change made through this server so that the next read sees it. */
  KeyRecord remember(KeyRecord record) {
    records.put(record.name(), record);
    return record;
  }

  void forget(String name) {
    records.invalidate(name);
  }

  KeyRecord create(String name, KeySettings settings) {
    byte[] secret = newSecret();
    KeyRecord created =
        store.createKey(name, settings, (version, storeRootKey) -> wrap(name, version, secret, storeRootKey), clock.instant());
    secrets.put(new VersionId(name, 1), new VersionSecret(secret));
    return remember(created);
  }

  KeyRecord rotate(String name) {
    byte[] secret = newSecret();
    KeyRecord rotated = store.addPrimaryVersion(
        name, (version, storeRootKey) -> wrap(name, version, secret, storeRootKey), clock.instant());
    secrets.put(new VersionId(name, rotated.primaryVersion()), new VersionSecret(secret));
    return remember(rotated);
  }

  /** The secret of an ENABLED version; callers check state (and minimum) first. */
  VersionSecret secret(KeyRecord key, KeyVersionRecord version) {
    VersionId id = new VersionId(key.name(), version.version());
    return secrets.get(id, unused -> unwrap(key.name(), version));
  }

  void dropSecret(String keyName, int version) {
    secrets.invalidate(new VersionId(keyName, version));
  }

  void countDataKey(String keyName, int version) {
    pendingCounts.computeIfAbsent(new VersionId(keyName, version), id -> new LongAdder()).increment();
  }

  /** Data keys issued under a version: stored count plus what has not been flushed yet. */
  long dataKeysIssued(String keyName, KeyVersionRecord version) {
    LongAdder pending = pendingCounts.get(new VersionId(keyName, version.version()));
    return version.dataKeysIssued() + (pending == null ? 0 : pending.sum());
  }

  /** Writes pending counters to the store in one transaction. */
  void flushCounts() {
    Map<String, Map<Integer, Long>> batch = new HashMap<>();
    Map<VersionId, Long> taken = new HashMap<>();
    pendingCounts.forEach((id, adder) -> {
      long n = adder.sum();
      if (n > 0) {
        batch.computeIfAbsent(id.keyName(), k -> new HashMap<>()).put(id.version(), n);
        taken.put(id, n);
      }
    });
    if (batch.isEmpty()) {
      return;
    }
    store.addDataKeysIssued(batch);
    taken.forEach((id, n) -> pendingCounts.get(id).add(-n));
    batch.keySet().forEach(this::forget);
  }

  private byte[] newSecret() {
    byte[] secret = new byte[VersionSecret.LENGTH];
    Randomness.fill(secret);
    return secret;
  }

  /**
   * Wraps under the root key the store is under: the one we hold, or during a root-key rotation
   * whichever of our two keys the store names at this moment. A keyserver that does not hold the
   * store's root key (it missed the rotation's swap) refuses rather than add a version nobody opens.
   */
  private WrappedSecret wrap(String keyName, int version, byte[] secret, Optional<String> storeRootKey) {
    RootKey key = storeRootKey.isEmpty() ? rootKey : heldKey(storeRootKey.get());
    return new WrappedSecret(key.id(), key.wrap(secret, secretAad(keyName, version)));
  }

  /** Our key with that id; UNAVAILABLE (so clients retry on another replica) when we do not hold it. */
  private RootKey heldKey(String id) {
    return rootKey.keyWithId(id).orElseThrow(() -> {
      log.error("the store is under root key {}, which this keyserver does not hold (it holds {}): the root key"
          + " was rotated; restart this keyserver with the store's root key", id, heldIds());
      return KeyserverException.unavailable(ROTATED, null);
    });
  }

  private VersionSecret unwrap(String keyName, KeyVersionRecord version) {
    WrappedSecret wrapped =
        version.wrappedSecret()
            .orElseThrow(() -> KeyserverException.precondition(
                "key version " + version.version() + " of '" + keyName + "' is destroyed"));
    Optional<RootKey> wrapper = rootKey.keyWithId(wrapped.rootKeyId());
    try {
      byte[] secret = wrapper.orElse(rootKey).unwrap(wrapped.ciphertext(), secretAad(keyName, version.version()));
      try {
        return new VersionSecret(secret);
      } finally {
        java.util.Arrays.fill(secret, (byte) 0);
      }
    } catch (RootKeyException e) {
      if (wrapper.isEmpty()) {
        log.error("version {} of {} is wrapped by root key {}, which this keyserver does not hold (it holds {}):"
            + " the root key was rotated; restart this keyserver with the store's root key",
            version.version(), keyName, wrapped.rootKeyId(), heldIds());
        throw KeyserverException.unavailable(ROTATED, e);
      }
      log.error("root key {} cannot open the secret of {} version {}", wrapped.rootKeyId(), keyName, version.version(), e);
      throw KeyserverException.unavailable("the root key cannot open this key version", e);
    }
  }

  private List<String> heldIds() {
    return rootKey.keys().stream().map(RootKey::id).toList();
  }

  /**
   * The associated data a version secret is wrapped under: binds the wrapped value to its key name
   * and version, so a wrapped secret moved to another row does not open. Public for root-key
   * rotation and backup checks, which re-wrap or open stored secrets outside the catalog.
   */
  public static byte[] versionSecretAad(String keyName, int version) {
    return secretAad(keyName, version);
  }

  static byte[] secretAad(String keyName, int version) {
    byte[] name = keyName.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(SECRET_AAD_PREFIX.length + 1 + name.length + 1 + 4)
        .put(SECRET_AAD_PREFIX).put((byte) 0).put(name).put((byte) 0).putInt(version)
        .array();
  }

  static boolean isUsable(KeyVersionRecord version) {
    return version.state() == VersionState.ENABLED && version.wrappedSecret().isPresent();
  }
}
