package io.keyward.keyserver.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Identities of tokens already verified, keyed by the SHA-256 of the token string (the token
 * itself is never kept). An entry lives until the token's {@code exp} or {@code maxAge}, whichever
 * comes first, by the injected clock; bounded in size.
 */
final class VerifiedTokenCache {
  private final Cache<ByteBuffer, WorkloadIdentity> cache;
  private final Clock clock;
  private final Duration maxAge;

  VerifiedTokenCache(long maxEntries, Duration maxAge, Clock clock) {
    this.clock = clock;
    this.maxAge = maxAge;
    this.cache =
        Caffeine.newBuilder()
            // Housekeeping on the reading thread: read on I/O threads, it must not wake a pool thread.
            .executor(Runnable::run)
            .maximumSize(maxEntries)
            .ticker(() -> nanos(clock.instant()))
            .expireAfter(new Expiry<ByteBuffer, WorkloadIdentity>() {
              @Override
              public long expireAfterCreate(ByteBuffer key, WorkloadIdentity id, long now) {
                return lifetime(id).toNanos();
              }

              @Override
              public long expireAfterUpdate(ByteBuffer key, WorkloadIdentity id, long now, long current) {
                return lifetime(id).toNanos();
              }

              @Override
              public long expireAfterRead(ByteBuffer key, WorkloadIdentity id, long now, long current) {
                return current;
              }
            })
            .build();
  }

  // Every request digests its token: one MessageDigest per thread, not a provider lookup per call.
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  });

  static ByteBuffer digest(String token) {
    return ByteBuffer.wrap(SHA256.get().digest(token.getBytes(StandardCharsets.UTF_8)));
  }

  /** The identity for a token verified earlier, unless that token has expired since. */
  Optional<WorkloadIdentity> get(ByteBuffer digest) {
    WorkloadIdentity id = cache.getIfPresent(digest);
    // Caffeine expiry is lazy about eviction; never serve an entry at or past its exp.
    if (id == null || !clock.instant().isBefore(id.expiresAt())) {
      return Optional.empty();
    }
    return Optional.of(id);
  }

  void put(ByteBuffer digest, WorkloadIdentity id) {
    if (!lifetime(id).isZero()) {
      cache.put(digest, id);
    }
  }

  private Duration lifetime(WorkloadIdentity id) {
    Duration untilExp = Duration.between(clock.instant(), id.expiresAt());
    if (untilExp.isNegative()) {
      return Duration.ZERO;
    }
    return untilExp.compareTo(maxAge) < 0 ? untilExp : maxAge;
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
