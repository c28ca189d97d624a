package io.keyward.bench.sdk;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A cross-check for {@link AeadBenchmark} on a shared, noisy machine: runs the SDK and raw JCE
 * and each baseline in alternating short batches in one JVM, so both see the same background
 * load, and prints per comparison the median per-batch speed ratio (SDK ops/s over the
 * baseline's; 0.9 or more meets the JCE target) with its interquartile range, from wall time and
 * from this thread's CPU time (which leaves out the time the thread waited for a core), and the
 * SDK's CPU time per op.
 *
 * <p>Usage: {@code java -cp ... io.keyward.bench.sdk.InterleavedRatio [--only encrypt|decrypt]
 * [--rounds N] [size ...]}
 */
public final class InterleavedRatio {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private InterleavedRatio() {}

  public static void main(String[] args) throws Exception {
    String only = "";
    int rounds = 41;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--only" -> only = args[++i];
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> sizes.add(Integer.parseInt(args[i]));
      }
    }
    if (sizes.isEmpty()) {
      sizes = List.of(64, 1024, 16384, 1048576);
    }
    for (int size : sizes) {
      AeadBenchmark b = new AeadBenchmark();
      b.size = size;
      b.setUp();
      AeadBenchmark.JceThread t = new AeadBenchmark.JceThread();
      t.setUp();
      int batch = Math.max(20, 2_000_000 / (b.size + 200));
      int few = Math.max(2, batch / 400); // the AWS SDK is ~1000x slower per small message
      int awsRounds = Math.max(3, rounds / 4) | 1;
      try {
        System.out.printf("size %8d  SDK speed / other speed: median [p25-p75] of %d interleaved"
            + " batches, wall time and thread CPU time%n", b.size, rounds);
        if (!only.equals("decrypt")) {
          report("encrypt vs JCE", measure(b::keywardEncrypt, batch, () -> b.jceEncrypt(t),
              batch, rounds));
          report("encrypt vs JCE counter nonce", measure(b::keywardEncrypt, batch,
              () -> b.jceCounterNonceEncrypt(t), batch, rounds));
          report("encrypt vs Tink", measure(b::keywardEncrypt, batch, b::tinkEncrypt, batch,
              rounds));
          report("encrypt vs AWS", measure(b::keywardEncrypt, batch, b::awsEncrypt, few,
              awsRounds));
        }
        if (!only.equals("encrypt")) {
          report("decrypt vs JCE", measure(b::keywardDecrypt, batch, () -> b.jceDecrypt(t),
              batch, rounds));
          report("decrypt vs Tink", measure(b::keywardDecrypt, batch, b::tinkDecrypt, batch,
              rounds));
          report("decrypt vs AWS", measure(b::keywardDecrypt, batch, b::awsDecrypt, few,
              awsRounds));
        }
      } finally {
        b.tearDown();
      }
    }
  }

  private static void report(String what, double[][] ratios) {
    System.out.printf("  %-30s %8.2f [%.2f-%.2f]   cpu %8.2f [%.2f-%.2f]   SDK %.2f us/op%n",
        what, quantile(ratios[0], 0.5), quantile(ratios[0], 0.25), quantile(ratios[0], 0.75),
        quantile(ratios[1], 0.5), quantile(ratios[1], 0.25), quantile(ratios[1], 0.75),
        quantile(ratios[2], 0.5) / 1000);
  }

  /**
   * Per round, (other's time per op / SDK's time per op), i.e. SDK speed / other's: from wall
   * time in the first array, from thread CPU time in the second; the SDK's CPU time per op (ns)
   * in the third.
   */
  private static double[][] measure(Callable<byte[]> sdk, int sdkBatch, Callable<byte[]> other,
      int otherBatch, int rounds) throws Exception {
    long sink = 0;
    for (int i = 0; i < 20; i++) { // warm-up: let C2 compile both paths and the GCM intrinsics
      sink += run(sdk, sdkBatch) + run(other, otherBatch);
    }
    double[] wall = new double[rounds];
    double[] cpu = new double[rounds];
    double[] sdkCpuPerOp = new double[rounds];
    long[] sdkTimes = new long[2];
    long[] otherTimes = new long[2];
    for (int i = 0; i < rounds; i++) {
      // Alternate which runs first, so that neither always pays for following the other.
      if (i % 2 == 0) {
        sink += timed(sdk, sdkBatch, sdkTimes) + timed(other, otherBatch, otherTimes);
      } else {
        sink += timed(other, otherBatch, otherTimes) + timed(sdk, sdkBatch, sdkTimes);
      }
      wall[i] = ((double) otherTimes[0] / otherBatch) / ((double) sdkTimes[0] / sdkBatch);
      cpu[i] = ((double) otherTimes[1] / otherBatch) / ((double) sdkTimes[1] / sdkBatch);
      sdkCpuPerOp[i] = (double) sdkTimes[1] / sdkBatch;
    }
    if (sink == 42) {
      System.out.print("");
    }
    return new double[][] {wall, cpu, sdkCpuPerOp};
  }

  private static double quantile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.round(q * (sorted.length - 1))];
  }

  /** Runs a batch and stores its wall time and this thread's CPU time, in ns, in {@code times}. */
  private static long timed(Callable<byte[]> op, int n, long[] times) throws Exception {
    long wall = System.nanoTime();
    long cpu = THREADS.getCurrentThreadCpuTime();
    long sink = run(op, n);
    times[1] = THREADS.getCurrentThreadCpuTime() - cpu;
    times[0] = System.nanoTime() - wall;
    return sink;
  }

  private static long run(Callable<byte[]> op, int n) throws Exception {
    long s = 0;
    for (int i = 0; i < n; i++) {
      s += op.call().length;
    }
    return s;
  }
}
