package io.keyward.keyserver.rootkey;

import java.util.List;
import java.util.Objects;

/**
 * Two root keys held by one keyserver around a root-key rotation: the key being rotated to
 * ({@code rootKey.*}) and the retiring one ({@code rootKey.previous*}). Such a server keeps working
 * through the rotation's swap without a restart: it opens values wrapped by either key, and the
 * key catalog wraps each new version under whichever of the two the store is under at that moment
 * ({@link #keyWithId}). {@link #wrap} itself uses the current key (a store that records no root
 * key yet).
 */
public final class RootKeyRing implements RootKey {
  private final RootKey current;
  private final RootKey previous;

  private RootKeyRing(RootKey current, RootKey previous) {
    this.current = current;
    this.previous = previous;
  }

  /**
   * @throws IllegalArgumentException when both are the same key (same id): that is a configuration
   *     mistake, not a rotation
   */
  public static RootKeyRing of(RootKey current, RootKey previous) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(previous, "previous");
    if (current.id().equals(previous.id())) {
      throw new IllegalArgumentException(
          "the previous root key is the current one (id " + current.id() + ")");
    }
    return new RootKeyRing(current, previous);
  }

  /** The current key's id. */
  @Override
  public String id() {
    return current.id();
  }

  public RootKey current() {
    return current;
  }

  public RootKey previous() {
    return previous;
  }

  @Override
  public List<RootKey> keys() {
    return List.of(current, previous);
  }

  @Override
  public byte[] wrap(byte[] plaintext, byte[] aad) {
    return current.wrap(plaintext, aad);
  }

  /**
   * Opens a value wrapped by the current key, else by the previous key (an authenticated
   * decryption: a value opens under at most one of them).
   *
   * @throws RootKeyException when neither key opens it
   */
  @Override
  public byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
    try {
      return current.unwrap(wrapped, aad);
    } catch (RootKeyException underCurrent) {
      try {
        return previous.unwrap(wrapped, aad);
      } catch (RootKeyException underPrevious) {
        underCurrent.addSuppressed(underPrevious);
        throw underCurrent;
      }
    }
  }

  @Override
  public void close() {
    try {
      current.close();
    } finally {
      previous.close();
    }
  }

  @Override
  public String toString() {
    return "RootKeyRing[current=" + current.id() + ", previous=" + previous.id() + "]";
  }
}
