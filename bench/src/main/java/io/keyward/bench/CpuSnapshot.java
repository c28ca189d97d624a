package io.keyward.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/**
 * CPU time used so far by the whole process and by the keyserver's own threads, and by the
 * database outside the process (PostgreSQL's backends) where that is known. The load driver's
 * threads (its event loop group and the dispatcher, named with {@link #CLIENT_PREFIX}) are left
 * out of the keyserver share; GC and JIT threads are in the process total only.
 */
final class CpuSnapshot {
  static final String CLIENT_PREFIX = "bench-client";

  private final long processNanos;
  private final long keyserverNanos;
  private final long databaseNanos;

  private CpuSnapshot(long processNanos, long keyserverNanos, long databaseNanos) {
    this.processNanos = processNanos;
    this.keyserverNanos = keyserverNanos;
    this.databaseNanos = databaseNanos;
  }

  /** @param database CPU nanoseconds of the database outside this process so far, -1 when unknown */
  static CpuSnapshot take(LongSupplier database) {
    long process = -1;
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      process = sun.getProcessCpuTime();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long keyserver = -1;
    if (threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()) {
      keyserver = 0;
      for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (t == null || t.getThreadName().startsWith(CLIENT_PREFIX)) {
          continue;
        }
        long cpu = threads.getThreadCpuTime(t.getThreadId());
        keyserver += Math.max(0, cpu);
      }
    }
    return new CpuSnapshot(process, keyserver, database.getAsLong());
  }

  /** Process CPU nanoseconds since {@code earlier}; -1 when unknown. */
  long processSince(CpuSnapshot earlier) {
    return processNanos < 0 || earlier.processNanos < 0 ? -1 : processNanos - earlier.processNanos;
  }

  /**
   * Database CPU nanoseconds (outside this process) since {@code earlier}; -1 when unknown. A
   * backend that ended in between takes its time with it, so this can only err low.
   */
  long databaseSince(CpuSnapshot earlier) {
    return databaseNanos < 0 || earlier.databaseNanos < 0 ? -1 : Math.max(0, databaseNanos - earlier.databaseNanos);
  }

  /**
   * Keyserver-thread CPU nanoseconds since {@code earlier}; -1 when unknown. A thread that ended
   * in between takes its time with it, so this can only err low.
   */
  long keyserverSince(CpuSnapshot earlier) {
    return keyserverNanos < 0 || earlier.keyserverNanos < 0 ? -1 : Math.max(0, keyserverNanos - earlier.keyserverNanos);
  }
}
