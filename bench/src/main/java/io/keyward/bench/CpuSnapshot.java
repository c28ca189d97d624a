package io.keyward.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * CPU time used so far by the whole process and by the keyserver's own threads. The load
 * driver's threads (its event loop group and the dispatcher, named with {@link #CLIENT_PREFIX})
 * are left out of the keyserver share; GC and JIT threads are in the process total only.
 */
final class CpuSnapshot {
  static final String CLIENT_PREFIX = "bench-client";

  private final long processNanos;
  private final long keyserverNanos;

  private CpuSnapshot(long processNanos, long keyserverNanos) {
    this.processNanos = processNanos;
    this.keyserverNanos = keyserverNanos;
  }

  static CpuSnapshot take() {
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
    return new CpuSnapshot(process, keyserver);
  }

  /** Process CPU nanoseconds since {@code earlier}; -1 when unknown. */
  long processSince(CpuSnapshot earlier) {
    return processNanos < 0 || earlier.processNanos < 0 ? -1 : processNanos - earlier.processNanos;
  }

  /**
   * Keyserver-thread CPU nanoseconds since {@code earlier}; -1 when unknown. A thread that ended
   * in between takes its time with it, so this can only err low.
   */
  long keyserverSince(CpuSnapshot earlier) {
    return keyserverNanos < 0 || earlier.keyserverNanos < 0 ? -1 : Math.max(0, keyserverNanos - earlier.keyserverNanos);
  }
}
