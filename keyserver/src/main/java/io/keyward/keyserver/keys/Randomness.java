package io.keyward.keyserver.keys;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Cryptographic randomness for data keys, salts and nonces: one NIST SP 800-90A DRBG per thread
 * (256-bit strength, prediction resistance off, seeded by the JDK from the operating system).
 * One per thread because the default {@code NativePRNG} serialises every caller on one lock,
 * which 64 concurrent requests contend for.
 */
final class Randomness {
  private static final ThreadLocal<SecureRandom> DRBG = ThreadLocal.withInitial(Randomness::newDrbg);

  private Randomness() {}

  static void fill(byte[] out) {
    DRBG.get().nextBytes(out);
  }

  private static SecureRandom newDrbg() {
    try {
      return SecureRandom.getInstance("DRBG",
          DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("DRBG unavailable", e);
    }
  }
}
