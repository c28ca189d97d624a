package io.keyward.keyserver.rootkey;

import java.util.Objects;

/**
 * The root key during a root-key rotation: wraps with the current key and opens values wrapped by
 * either the current or the previous key. A server configured with both ({@code rootKey.file} and
 * {@code rootKey.previousFile}) serves a store that is part-way through {@link RootKeyRotation}.
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

  /** The current key's id: what new wraps are recorded under. */
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

  /** Wraps with the current key only: nothing new is ever wrapped by the retiring key. */
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
