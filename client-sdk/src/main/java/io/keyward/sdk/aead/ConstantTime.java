package io.keyward.sdk.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Equality of byte ranges in a time that depends on their length only, not their content. */
final class ConstantTime {
  // Eight bytes per step: a byte loop made the commitment check a tenth of a small decrypt.
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private ConstantTime() {}

  /**
   * Whether {@code a[aOff..aOff+len)} equals {@code b[bOff..bOff+len)}; both ranges must lie
   * inside their arrays.
   */
  static boolean equal(byte[] a, int aOff, byte[] b, int bOff, int len) {
    long diff = 0;
    int i = 0;
    for (; i <= len - Long.BYTES; i += Long.BYTES) {
      diff |= (long) LONGS.get(a, aOff + i) ^ (long) LONGS.get(b, bOff + i);
    }
    for (; i < len; i++) {
      diff |= a[aOff + i] ^ b[bOff + i];
    }
    return diff == 0;
  }
}
