package io.keyward.keyserver.keys;

import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;

/** A key version's unwrapped 256-bit secret. Held only in memory; {@code toString()} is redacted. */
final class VersionSecret {
  static final int LENGTH = 32;
  private final byte[] bytes;

  VersionSecret(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("version secret must be " + LENGTH + " bytes");
    }
    this.bytes = bytes.clone();
  }

  /** The raw bytes, for key derivation only. Callers must not keep or log them. */
  byte[] insecureBytes() {
    return bytes;
  }

  SecretKeySpec asKeySpec() {
    return new SecretKeySpec(bytes, "AES");
  }

  void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public String toString() {
    return "VersionSecret[REDACTED]";
  }
}
