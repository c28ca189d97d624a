package io.keyward.sdk;

import io.keyward.sdk.format.Header;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Decrypt-cache key: SHA-256 over (key version, wrapped DEK length, wrapped DEK, canonical
 * context). Fixed size whatever the wrapped DEK's length, and a different context never hits
 * another context's entry. The version is part of it because the AEAD does not authenticate the
 * header's version (it may change on rewrap): only the keyserver's answer does, and that answer
 * was checked against the version when the entry was loaded.
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
    int version = header.keyVersion();
    md.update((byte) (version >>> 24));
    md.update((byte) (version >>> 16));
    md.update((byte) (version >>> 8));
    md.update((byte) version);
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
