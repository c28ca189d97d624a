package io.keyward.sidecar.kms;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The latest {@link KeySnapshot} of the plugin's key. Reads are lock-free; a refresh is done by
 * one thread at a time (the others keep using the snapshot they have), and attempts are spaced by
 * at least {@link #MIN_RETRY} unless a caller must know (a version the keyserver just used).
 */
final class KeyState {
  /** Garbage key_ids or a dead keyserver cost at most one GetKey per this interval. */
  static final Duration MIN_RETRY = Duration.ofSeconds(1);

  private final KeyserverClient keyserver;
  private final Clock clock;
  private final Duration maxAge;
  private final ReentrantLock refreshLock = new ReentrantLock();
  private volatile KeySnapshot snapshot;
  private volatile Instant lastAttempt = Instant.MIN;

  KeyState(KeyserverClient keyserver, Clock clock, Duration maxAge) {
    this.keyserver = keyserver;
    this.clock = clock;
    this.maxAge = maxAge;
  }

  /** The latest snapshot without any call; null before the first successful GetKey. */
  KeySnapshot current() {
    return snapshot;
  }

  /** Calls GetKey now (waiting for a refresh in progress) and installs the result. */
  KeySnapshot refreshNow() {
    refreshLock.lock();
    try {
      return fetch();
    } finally {
      refreshLock.unlock();
    }
  }

  /**
   * A snapshot no older than the max-age when the keyserver answers; otherwise the last one.
   * Blocks on GetKey only when the snapshot is stale and no other thread is refreshing it, or
   * when there is no snapshot at all (then a failure is thrown).
   */
  KeySnapshot fresh() {
    KeySnapshot s = snapshot;
    Instant now = clock.instant();
    if (s != null && !now.isAfter(s.fetchedAt().plus(maxAge))) {
      return s;
    }
    return s == null ? refreshNow() : tryRefresh(s, now);
  }

  /**
   * For a key_id or version the snapshot does not know: refreshes unless an attempt was made in
   * the last {@link #MIN_RETRY}, so a stream of bad requests cannot flood the keyserver.
   */
  KeySnapshot refreshForUnknown() {
    KeySnapshot s = snapshot;
    return s == null ? refreshNow() : tryRefresh(s, clock.instant());
  }

  private KeySnapshot tryRefresh(KeySnapshot s, Instant now) {
    if (now.isBefore(lastAttempt.plus(MIN_RETRY)) || !refreshLock.tryLock()) {
      return s;
    }
    try {
      return fetch();
    } catch (KeyserverCallException e) {
      return s; // keep serving from what we know; Status reports the outage
    } finally {
      refreshLock.unlock();
    }
  }

  private KeySnapshot fetch() {
    lastAttempt = clock.instant();
    KeySnapshot fetched = keyserver.getKey();
    snapshot = fetched;
    return fetched;
  }
}
