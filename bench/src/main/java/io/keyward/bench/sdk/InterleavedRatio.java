package io.keyward.bench.sdk;

import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * A cross-check for {@link AeadBenchmark} on a shared, noisy machine: runs the SDK and raw JCE
 * and each baseline in alternating short batches in one JVM, so both see the same background
 * load, and prints the median per-batch speed ratio (SDK ops/s over the baseline's; 0.9 or more
 * meets the JCE target).
 * Usage: java -cp ... io.keyward.bench.sdk.InterleavedRatio [size ...]
 */
public final class InterleavedRatio {
  private InterleavedRatio() {}

  public static void main(String[] args) throws Exception {
    String[] sizes = args.length > 0 ? args : new String[] {"64", "1024", "16384", "1048576"};
    for (String size : sizes) {
      AeadBenchmark b = new AeadBenchmark();
      b.size = Integer.parseInt(size);
      b.setUp();
      AeadBenchmark.JceThread t = new AeadBenchmark.JceThread();
      t.setUp();
      int batch = Math.max(20, 2_000_000 / (b.size + 200));
      try {
        System.out.printf("size %8d  SDK speed / other speed (median of interleaved batches)%n",
            b.size);
        int few = Math.max(2, batch / 400); // the AWS SDK is ~1000x slower per small message
        report("encrypt vs JCE", medianRatio(b::keywardEncrypt, batch, () -> b.jceEncrypt(t),
            batch, 41));
        report("encrypt vs JCE counter nonce", medianRatio(b::keywardEncrypt, batch,
            () -> b.jceCounterNonceEncrypt(t), batch, 41));
        report("encrypt vs Tink", medianRatio(b::keywardEncrypt, batch, b::tinkEncrypt, batch, 41));
        report("encrypt vs AWS", medianRatio(b::keywardEncrypt, batch, b::awsEncrypt, few, 9));
        report("decrypt vs JCE", medianRatio(b::keywardDecrypt, batch, () -> b.jceDecrypt(t),
            batch, 41));
        report("decrypt vs Tink", medianRatio(b::keywardDecrypt, batch, b::tinkDecrypt, batch, 41));
        report("decrypt vs AWS", medianRatio(b::keywardDecrypt, batch, b::awsDecrypt, few, 9));
      } finally {
        b.tearDown();
      }
    }
  }

  private static void report(String what, double speedRatio) {
    System.out.printf("  %-30s %8.2f%n", what, speedRatio);
  }

  /** Median over rounds of (other's time per op / SDK's time per op), i.e. SDK speed / other. */
  private static double medianRatio(Callable<byte[]> sdk, int sdkBatch, Callable<byte[]> other,
      int otherBatch, int rounds) throws Exception {
    long sink = 0;
    for (int i = 0; i < 20; i++) { // warm-up: let C2 compile both paths and the GCM intrinsics
      sink += run(sdk, sdkBatch) + run(other, otherBatch);
    }
    double[] ratios = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      long a = System.nanoTime();
      sink += run(sdk, sdkBatch);
      long m = System.nanoTime();
      sink += run(other, otherBatch);
      long z = System.nanoTime();
      ratios[i] = ((double) (z - m) / otherBatch) / ((double) (m - a) / sdkBatch);
    }
    if (sink == 42) {
      System.out.print("");
    }
    Arrays.sort(ratios);
    return ratios[rounds / 2];
  }

  private static long run(Callable<byte[]> op, int n) throws Exception {
    long s = 0;
    for (int i = 0; i < n; i++) {
      s += op.call().length;
    }
    return s;
  }
}
