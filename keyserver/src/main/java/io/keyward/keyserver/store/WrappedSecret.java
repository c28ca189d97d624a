package io.keyward.keyserver.store;

import java.util.Arrays;

/**
 * A version secret as the root key wrapped it, plus the id of the root key that did. Not secret
 * itself, but opaque; {@code toString()} prints only sizes.
 */
public record WrappedSecret(String rootKeyId, byte[] ciphertext) {
  public WrappedSecret {
    ciphertext = ciphertext.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrappedSecret w
        && w.rootKeyId.equals(rootKeyId)
        && Arrays.equals(w.ciphertext, ciphertext);
  }

  @Override
  public int hashCode() {
    return rootKeyId.hashCode() * 31 + Arrays.hashCode(ciphertext);
  }

  @Override
  public String toString() {
    return "WrappedSecret[rootKeyId=" + rootKeyId + ", " + ciphertext.length + " bytes]";
  }
}
