package io.keyward.bench.sdk;

import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * A cross-check for {@link AeadBenchmark} on a shared, noisy machine: runs the SDK and raw JCE
 * in alternating short batches in one JVM, so both see the same background load, and prints the
 * median per-batch ratio (SDK time / JCE time; below 1.11 means the SDK reaches 0.9 of JCE).
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
        double enc = medianRatio(b::keywardEncrypt, () -> b.jceEncrypt(t), batch);
        double encCounter = medianRatio(b::keywardEncrypt, () -> b.jceCounterNonceEncrypt(t), batch);
        double dec = medianRatio(b::keywardDecrypt, () -> b.jceDecrypt(t), batch);
        System.out.printf("size %8d  encrypt SDK/JCE time %.3f (vs counter-nonce JCE %.3f)"
            + "  decrypt SDK/JCE time %.3f%n", b.size, enc, encCounter, dec);
      } finally {
        b.tearDown();
      }
    }
  }

  private static double medianRatio(Callable<byte[]> sdk, Callable<byte[]> jce, int batch)
      throws Exception {
    long sink = 0;
    for (int i = 0; i < 200; i++) { // warm-up: let C2 compile both paths and the GCM intrinsics
      sink += run(sdk, batch / 4 + 1) + run(jce, batch / 4 + 1);
    }
    double[] ratios = new double[41];
    for (int i = 0; i < ratios.length; i++) {
      long a = System.nanoTime();
      sink += run(sdk, batch);
      long m = System.nanoTime();
      sink += run(jce, batch);
      long z = System.nanoTime();
      ratios[i] = (double) (m - a) / (z - m);
    }
    if (sink == 42) {
      System.out.print("");
    }
    Arrays.sort(ratios);
    return ratios[ratios.length / 2];
  }

  private static long run(Callable<byte[]> op, int n) throws Exception {
    long s = 0;
    for (int i = 0; i < n; i++) {
      s += op.call().length;
    }
    return s;
  }
}
