package io.keyward.sdk.cache;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link System#nanoTime()} as last read by one daemon thread, every {@link #RESOLUTION_NANOS}.
 * On some virtual machines a nanoTime call costs 100 ns or more, more than the rest of a cached
 * data-key lookup; the hot path reads this volatile instead and, to stay on the safe side of an
 * age limit, treats the time as {@code read() + RESOLUTION_NANOS}. The reading lags further only
 * while the updating thread is not scheduled at all.
 */
public final class CoarseTicker {
  public static final long RESOLUTION_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private static volatile long now = System.nanoTime();

  static {
    Thread t = new Thread(CoarseTicker::run, "keyward-sdk-coarse-clock");
    t.setDaemon(true);
    t.start();
  }

  private CoarseTicker() {}

  /** The latest reading, in System.nanoTime's time base; never ahead of the true time. */
  public static long read() {
    return now;
  }

  private static void run() {
    while (true) {
      now = System.nanoTime();
      LockSupport.parkNanos(RESOLUTION_NANOS / 2);
    }
  }
}
