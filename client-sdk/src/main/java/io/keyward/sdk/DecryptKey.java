package io.keyward.sdk;

import io.keyward.sdk.format.Header;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Decrypt-cache key: SHA-256 over (wrapped DEK length, wrapped DEK, canonical context). Fixed
 * size whatever the wrapped DEK's length, and a different context never hits another context's
 * entry.
 */
final class DecryptKey {
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK provides no SHA-256", e);
    }
  });

  private final byte[] digest;
  private final int hash;

  private DecryptKey(byte[] digest) {
    this.digest = digest;
    this.hash = (digest[0] << 24) | ((digest[1] & 0xFF) << 16) | ((digest[2] & 0xFF) << 8)
        | (digest[3] & 0xFF);
  }

  static DecryptKey of(Header header, byte[] canonicalContext) {
    MessageDigest md = SHA256.get();
    int length = header.wrappedDekLength();
    md.update((byte) (length >>> 8));
    md.update((byte) length);
    md.update(header.array(), header.wrappedDekOffset(), length);
    md.update(canonicalContext);
    return new DecryptKey(md.digest());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DecryptKey other && Arrays.equals(digest, other.digest);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "DecryptKey";
  }
}
