package io.keyward.sdk.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Data keys for encryption, one per (key name, context), reused until they reach their maximum
 * age or their budget of messages and bytes is spent. Lock-free on a hit: one hash lookup; the
 * budget is counted by the cached value itself (see {@code MessageEncrypter}). N concurrent
 * misses on one key make one load: Caffeine's atomic {@code get(key, loader)}.
 *
 * @param <K> cache key, e.g. (key name, context map); must be immutable
 * @param <V> the cached encryption material
 */
public final class EncryptionKeyCache<K, V> {
  private final Cache<K, V> cache;
  private final AtomicLong generation = new AtomicLong();

  /**
   * @param maxAge how long after its load a data key stops encrypting
   * @param maxEntries bound on cached data keys
   * @param ticker time source in nanoseconds (tests pass a fake)
   */
  public EncryptionKeyCache(Duration maxAge, long maxEntries, Ticker ticker) {
    this.cache = Caffeine.newBuilder()
        .expireAfterWrite(maxAge)
        .maximumSize(maxEntries)
        .ticker(ticker)
        .build();
  }

  /**
   * Runs {@code attempt} with the cached value for {@code key}, loading one when there is none.
   * When {@code attempt} returns null the value's budget is spent: it is retired and the attempt
   * repeated once with a freshly loaded value.
   *
   * @param lookupKey the key to look up with (may be a cheap, mutable view)
   * @param storeKey makes the immutable key to store under on a miss
   * @throws IllegalStateException when even a fresh value refuses the attempt
   */
  public <R> R withValue(K lookupKey, Function<K, K> storeKey, Function<K, V> loader,
      Function<V, R> attempt) {
    V value = cache.getIfPresent(lookupKey);
    if (value != null) {
      R result = attempt.apply(value);
      if (result != null) {
        return result;
      }
      cache.asMap().remove(lookupKey, value);
    }
    for (int tries = 0; tries < 2; tries++) {
      V fresh = cache.get(storeKey.apply(lookupKey), loader);
      R result = attempt.apply(fresh);
      if (result != null) {
        return result;
      }
      // Another thread's messages spent it between load and use; retire and load once more.
      cache.asMap().remove(lookupKey, fresh);
    }
    throw new IllegalStateException("a fresh data key refused the message twice");
  }

  /**
   * Runs {@code attempt} with the cached value for {@code key} only; never loads. Returns null
   * when nothing is cached or the cached value's budget is spent (it is then retired).
   */
  public <R> R withCachedValue(K lookupKey, Function<V, R> attempt) {
    V value = cache.getIfPresent(lookupKey);
    if (value == null) {
      return null;
    }
    R result = attempt.apply(value);
    if (result == null) {
      cache.asMap().remove(lookupKey, value);
    }
    return result;
  }

  /** Changes whenever every entry is dropped: a caller's memo from an older generation is void. */
  public long generation() {
    return generation.get();
  }

  /** Drops every cached data key. */
  public void invalidateAll() {
    generation.incrementAndGet();
    cache.invalidateAll();
  }
}
