package io.keyward.keyserver.identity;

import com.nimbusds.jose.jwk.JWK;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of one issuer, loaded lazily and kept fresh.
 *
 * <p>Reads are lock-free (a volatile snapshot). Loads take this issuer's own lock, so a slow
 * JWKS endpoint holds up only callers of that issuer, and never other issuers. Loads happen at
 * most once per {@code minInterval} (by the injected clock), whether triggered by age or by a
 * flood of unknown {@code kid}s. A failed load keeps the keys we had.
 */
final class IssuerKeys implements TrustedKeys {
  private static final Logger log = LoggerFactory.getLogger(IssuerKeys.class);

  private final String issuer;
  private final JwksLoader loader;
  private final Clock clock;
  private final Duration minInterval;
  private final Duration maxAge;
  private final ReentrantLock loadLock = new ReentrantLock();
  private final AtomicLong loads = new AtomicLong();

  private volatile List<JWK> keys = List.of();
  /** When keys were last confirmed current; null before the first successful load. */
  private volatile Instant loadedAt;
  /** Guarded by loadLock. */
  private Instant lastAttempt;
  /** The document behind {@link #keys}; guarded by loadLock. */
  private String lastDocument;

  IssuerKeys(String issuer, JwksLoader loader, Clock clock, Duration minInterval, Duration maxAge) {
    this.issuer = issuer;
    this.loader = loader;
    this.clock = clock;
    this.minInterval = minInterval;
    this.maxAge = maxAge;
  }

  @Override
  public List<JWK> keys() {
    Instant loaded = loadedAt;
    if (loaded == null) {
      // Nothing to serve yet: wait for the first load (or for whoever is doing it).
      loadLock.lock();
      try {
        if (loadedAt == null) {
          loadLocked();
        }
      } finally {
        loadLock.unlock();
      }
    } else if (!clock.instant().isBefore(loaded.plus(maxAge)) && loadLock.tryLock()) {
      // Stale but usable: one caller refreshes, the others go on with what we have.
      try {
        loadLocked();
      } finally {
        loadLock.unlock();
      }
    }
    return keys;
  }

  @Override
  public boolean refreshForUnknownKey() {
    List<JWK> before = keys;
    loadLock.lock();
    try {
      loadLocked();
      // Also true when another caller installed new keys while we waited for the lock.
      return keys != before;
    } finally {
      loadLock.unlock();
    }
  }

  /** Number of load attempts so far (file reads or HTTP fetch rounds), for tests and metrics. */
  long loadAttempts() {
    return loads.get();
  }

  /** Loads unless the last attempt was too recent; failures keep the current keys. */
  private void loadLocked() {
    Instant now = clock.instant();
    if (lastAttempt != null && now.isBefore(lastAttempt.plus(minInterval))) {
      return;
    }
    lastAttempt = now;
    loads.incrementAndGet();
    try {
      Optional<String> document = loader.load();
      if (document.isPresent() && !document.get().equals(lastDocument)) {
        keys = JwksPolicy.parse(document.get());
        lastDocument = document.get();
        log.info("issuer {}: loaded {} trusted keys from {}", issuer, keys.size(), loader);
      }
      loadedAt = now;
    } catch (IOException | InvalidJwksException e) {
      log.warn("issuer {}: cannot load JWKS from {} ({}); keeping {} known keys", issuer, loader, e.getMessage(), keys.size());
    } catch (RuntimeException e) {
      log.warn("issuer {}: cannot load JWKS from {} ({}); keeping {} known keys",
          issuer, loader, e.getClass().getSimpleName(), keys.size());
    }
  }
}
