package io.keyward.sdk.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.keyward.sdk.KeyserverUnavailableException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unwrapped data keys for decryption, looked up by a digest of (wrapped DEK, context).
 *
 * <p>An entry is fresh for {@code maxAge} after it was loaded. After that it is refreshed from the
 * keyserver; only when the keyserver is unavailable is the old entry used, and only until
 * {@code maxAge + grace}. Any other answer (a revoked permission, a disabled version) replaces or
 * removes the entry at once, so the grace never outlives a refusal. Nothing that was not loaded
 * from the keyserver is ever served. N concurrent misses (or refreshes) on one key make one
 * keyserver call.
 */
public final class DecryptionKeyCache<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(DecryptionKeyCache.class);

  private final Cache<K, Entry<V>> cache;
  private final Ticker ticker;
  private final long maxAgeNanos;
  private final long graceNanos;
  private final AtomicLong generation = new AtomicLong();

  /**
   * A value with the ticker time until which it is fresh, for a caller's own short-lived memo
   * (see {@link #lookup}). {@code freshUntil} is in the past when the value was served within its
   * grace: such a value must not be memoised.
   */
  public record Lookup<V>(V value, long freshUntil, long generation) {
    @Override
    public String toString() {
      return "Lookup[REDACTED]";
    }
  }

  private static final class Entry<V> {
    final V value;
    final long loadedAt;

    Entry(V value, long loadedAt) {
      this.value = value;
      this.loadedAt = loadedAt;
    }
  }

  public DecryptionKeyCache(Duration maxAge, Duration grace, long maxEntries, Ticker ticker) {
    this.ticker = ticker;
    this.maxAgeNanos = maxAge.toNanos();
    this.graceNanos = grace.toNanos();
    long lifetime = Math.addExact(maxAgeNanos, graceNanos);
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .ticker(ticker)
        // Bounds memory only: freshness and grace are decided from Entry.loadedAt below, so an
        // entry re-put within its grace cannot be served past maxAge + grace.
        .expireAfterWrite(Duration.ofNanos(lifetime))
        .build();
  }

  /**
   * Returns the fresh cached value for {@code key}, or loads it.
   *
   * @throws KeyserverUnavailableException when the loader cannot reach the keyserver and no entry
   *     within its grace exists
   */
  public V get(K key, Function<K, V> loader) {
    return lookup(key, loader).value();
  }

  /**
   * As {@link #get}, with the time until which the value is fresh and the cache's current
   * generation. A memo may serve the value again without asking this cache while {@link
   * #ticker()} reads before {@code freshUntil} and {@link #generation()} is unchanged; that is
   * exactly as long as this cache would serve it without asking the keyserver.
   */
  public Lookup<V> lookup(K key, Function<K, V> loader) {
    long gen = generation.get();
    Entry<V> e = cache.getIfPresent(key);
    if (e != null && ticker.read() - e.loadedAt < maxAgeNanos) {
      return new Lookup<>(e.value, e.loadedAt + maxAgeNanos, gen);
    }
    RuntimeException[] failure = new RuntimeException[1];
    Entry<V> result = cache.asMap().compute(key, (k, current) -> {
      long now = ticker.read();
      if (current != null && now - current.loadedAt < maxAgeNanos) {
        return current; // another thread refreshed it while we waited
      }
      try {
        return new Entry<>(loader.apply(k), ticker.read());
      } catch (KeyserverUnavailableException unavailable) {
        if (current != null && now - current.loadedAt < maxAgeNanos + graceNanos) {
          LOG.debug("keyserver unavailable; using a cached data key within its grace period");
          return current;
        }
        failure[0] = unavailable;
        return null;
      } catch (RuntimeException refused) {
        failure[0] = refused; // a definite refusal drops any stale entry
        return null;
      }
    });
    if (failure[0] != null) {
      throw failure[0];
    }
    return new Lookup<>(result.value, result.loadedAt + maxAgeNanos, gen);
  }

  /** The time source that {@link Lookup#freshUntil()} refers to. */
  public Ticker ticker() {
    return ticker;
  }

  /** Changes whenever every entry is dropped: a memo from an older generation is void. */
  public long generation() {
    return generation.get();
  }

  /**
   * As {@link #lookup}, but only while the cached value is fresh (within max-age), else null;
   * never loads and never serves an entry that is only within its grace.
   */
  public Lookup<V> lookupIfFresh(K key) {
    long gen = generation.get();
    Entry<V> e = cache.getIfPresent(key);
    return e != null && ticker.read() - e.loadedAt < maxAgeNanos
        ? new Lookup<>(e.value, e.loadedAt + maxAgeNanos, gen)
        : null;
  }

  public void invalidateAll() {
    generation.incrementAndGet();
    cache.invalidateAll();
  }
}
