package io.keyward.bench;

import java.time.Duration;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one phase measured. Latencies are in microseconds, from the client's point of view (TLS,
 * gRPC, authentication, authorization, audit commit and the operation itself).
 *
 * @param name the RPC measured
 * @param operations calls completed successfully inside the measured window
 * @param measured length of the measured window
 * @param opsPerSecond {@code operations} per second of {@code measured}
 * @param cpuMicrosPerCall CPU time the whole process (load driver and keyserver together) spent
 *     per completed call in the window; less sensitive to other load on the machine than ops/s.
 *     -1 when the JVM cannot tell its CPU time
 * @param keyserverCpuMicrosPerCall CPU time of the keyserver's threads alone (server event loops,
 *     gRPC executor, audit writer; not GC or JIT) per completed call; -1 when unknown
 * @param databaseCpuMicrosPerCall CPU time of PostgreSQL's backends serving the run's database per
 *     completed call (outside this process); -1 for SQLite, whose work is in the keyserver's
 *     threads, or when it cannot be read
 * @param errors failed calls by gRPC status code (or {@code WRONG_RESPONSE}), warm-up included
 */
public record PhaseResult(
    String name,
    long operations,
    Duration measured,
    double opsPerSecond,
    long p50Micros,
    long p99Micros,
    long p999Micros,
    long maxMicros,
    double meanMicros,
    double cpuMicrosPerCall,
    double keyserverCpuMicrosPerCall,
    double databaseCpuMicrosPerCall,
    Map<String, Long> errors) {

  public PhaseResult {
    errors = Map.copyOf(errors);
  }

  static PhaseResult of(String name, Histogram h, Duration measured, long cpuNanos, long keyserverCpuNanos,
      long databaseCpuNanos, Map<String, Long> errors) {
    double seconds = measured.toNanos() / 1e9;
    long count = h.getTotalCount();
    return new PhaseResult(name, count, measured, seconds > 0 ? count / seconds : 0,
        h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
        h.getMaxValue(), count > 0 ? h.getMean() : 0,
        perCall(cpuNanos, count), perCall(keyserverCpuNanos, count), perCall(databaseCpuNanos, count), errors);
  }

  private static double perCall(long nanos, long count) {
    return nanos < 0 || count == 0 ? -1 : nanos / 1000.0 / count;
  }

  /** Failed calls of this phase, whatever their code. */
  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }
}
