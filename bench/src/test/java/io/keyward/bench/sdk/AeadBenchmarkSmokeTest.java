package io.keyward.bench.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs every benchmark method once, without JMH, and checks that each one does what it claims:
 * the decrypt methods return the plaintext, and every encrypt method's output decrypts to it.
 * Keeps the benchmark compiling and honest in CI; performance is never asserted here.
 */
class AeadBenchmarkSmokeTest {
  @ParameterizedTest
  @ValueSource(ints = {64, 16384})
  void everyMethodRoundTrips(int size) throws Exception {
    AeadBenchmark b = new AeadBenchmark();
    b.size = size;
    b.setUp();
    try {
      AeadBenchmark.JceThread t = new AeadBenchmark.JceThread();
      t.setUp();
      byte[] p = b.plaintext;
      assertEquals(size, p.length);

      assertArrayEquals(p, b.keywardDecrypt());
      assertArrayEquals(p, b.keyward.decrypt(b.keywardEncrypt(), b.context));

      assertArrayEquals(p, b.jceDecrypt(t));
      assertArrayEquals(p, jceOpen(b, b.jceEncrypt(t)));
      byte[] first = b.jceCounterNonceEncrypt(t);
      byte[] second = b.jceCounterNonceEncrypt(t);
      assertArrayEquals(p, jceOpen(b, first));
      assertEquals(false, Arrays.equals(first, 0, 12, second, 0, 12), "nonces repeat");

      assertArrayEquals(p, b.tinkDecrypt());
      assertArrayEquals(p, b.tink.decrypt(b.tinkEncrypt(), b.aad));

      assertArrayEquals(p, b.awsDecrypt());
      assertArrayEquals(p, b.aws.decryptData(b.awsKeyring, b.awsEncrypt(), b.context).getResult());
    } finally {
      b.tearDown();
    }
  }

  private static byte[] jceOpen(AeadBenchmark b, byte[] ct) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, b.jceKey, new GCMParameterSpec(128, ct, 0, 12));
    c.updateAAD(b.aad);
    return c.doFinal(ct, 12, ct.length - 12);
  }
}
