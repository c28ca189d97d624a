package io.keyward.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/** CPU time used by this JVM so far, all threads together. */
final class ProcessCpu {
  private ProcessCpu() {}

  /** Nanoseconds of CPU used by this process, or -1 when the JVM cannot tell. */
  static long nanos() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }
}
