package io.keyward.sidecar.kms;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Unwrapped seeds by SHA-256 of their ciphertext, bounded in entries and age. kube-apiserver
 * decrypts every Secret at start-up but uses few distinct seeds, so the storm costs one keyserver
 * call per seed: concurrent misses on one ciphertext wait for a single call (Caffeine's atomic
 * get). Entries are not zeroed on eviction because a reader may still be copying one out.
 */
final class SeedCache {
  private final Cache<ByteBuffer, byte[]> seeds;

  SeedCache(long maxEntries, Duration ttl, Clock clock) {
    Ticker ticker = () -> {
      var t = clock.instant();
      return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    };
    this.seeds = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .expireAfterWrite(ttl)
        .ticker(ticker)
        .executor(Runnable::run)
        .build();
  }

  /** The cached seed of {@code ciphertext}, or {@code loader}'s result (cached when it returns). */
  byte[] get(byte[] ciphertext, Supplier<byte[]> loader) {
    return seeds.get(ByteBuffer.wrap(sha256(ciphertext)), k -> loader.get());
  }

  long size() {
    seeds.cleanUp();
    return seeds.estimatedSize();
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
