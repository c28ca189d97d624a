package io.keyward.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that tests move by hand. Thread-safe. */
public final class FakeClock extends Clock {
  private final AtomicReference<Instant> now;

  public FakeClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /** Starts at a fixed, whole-second instant so that results are repeatable. */
  public static FakeClock startingAt2026() {
    return new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
  }

  public void advance(Duration by) {
    now.updateAndGet(t -> t.plus(by));
  }

  public void set(Instant instant) {
    now.set(instant);
  }

  /** Nanoseconds since the epoch, for a Caffeine {@code Ticker}: {@code clock::nanos}. */
  public long nanos() {
    Instant t = now.get();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("FakeClock is UTC only");
  }
}
