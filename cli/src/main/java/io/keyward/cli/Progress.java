package io.keyward.cli;

import java.io.PrintStream;
import java.time.Duration;

/**
 * A one-line progress display with rate and ETA, redrawn in place on a terminal at most five
 * times a second; silent when disabled (output redirected, or {@code --progress never}).
 */
final class Progress {
  private static final long REDRAW_NANOS = 200_000_000L;

  private final PrintStream err;
  private final boolean enabled;
  private final long total;
  private final long start = System.nanoTime();
  private long last;
  private long done;

  Progress(PrintStream err, boolean enabled, long total) {
    this.err = err;
    this.enabled = enabled;
    this.total = total;
  }

  void advance() {
    done++;
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (now - last >= REDRAW_NANOS || done == total) {
      last = now;
      err.print("\r" + line(done, total, now - start) + "   ");
      err.flush();
    }
  }

  void finish() {
    if (enabled) {
      err.println();
    }
  }

  static String line(long done, long total, long elapsedNanos) {
    double seconds = Math.max(elapsedNanos / 1e9, 1e-3);
    double rate = done / seconds;
    StringBuilder s = new StringBuilder("rewrap ");
    if (total > 0) {
      int width = 30;
      int filled = (int) Math.min(width, done * width / total);
      s.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ")
          .append(done).append('/').append(total);
    } else {
      s.append(done);
    }
    s.append(String.format(java.util.Locale.ROOT, "  %.0f/s", rate));
    if (total > 0 && rate > 0) {
      long eta = (long) ((total - done) / rate);
      Duration d = Duration.ofSeconds(eta);
      s.append(String.format(java.util.Locale.ROOT, "  ETA %d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart()));
    }
    return s.toString();
  }
}
