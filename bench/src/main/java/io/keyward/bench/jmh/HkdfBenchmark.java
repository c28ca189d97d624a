package io.keyward.bench.jmh;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-blob key derivation of the keyserver's wrap format (HKDF-SHA256, 32-byte secret,
 * 16-byte salt, 32-byte output): BouncyCastle's pure-Java HKDF against two JDK HmacSHA256 calls
 * (extract, one expand block), which is what {@code keys.HkdfSha256} does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HkdfBenchmark {
  private static final byte[] INFO = "keyward/v1/dek-wrap".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private final byte[] secret = new byte[32];
  private final byte[] salt = new byte[16];
  private Mac mac;

  @Setup
  public void setUp() throws GeneralSecurityException {
    SecureRandom random = new SecureRandom();
    random.nextBytes(secret);
    random.nextBytes(salt);
    mac = Mac.getInstance("HmacSHA256");
  }

  @Benchmark
  public byte[] bouncyCastle() {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(secret, salt, INFO));
    byte[] key = new byte[32];
    hkdf.generateBytes(key, 0, key.length);
    return key;
  }

  @Benchmark
  public byte[] jdkHmac() throws GeneralSecurityException {
    mac.init(new SecretKeySpec(salt, "HmacSHA256"));
    byte[] prk = mac.doFinal(secret);
    mac.init(new SecretKeySpec(prk, "HmacSHA256"));
    mac.update(INFO);
    mac.update((byte) 1);
    return mac.doFinal();
  }
}
