package io.keyward.cli.rewrap;

/**
 * The outcome of one rewrap: the ciphertext to store ({@code ciphertext}, the input itself when
 * {@code alreadyCurrent}) and the key versions before and after.
 */
public record RewrapResult(byte[] ciphertext, String keyName, int fromVersion, int toVersion, boolean alreadyCurrent) {
  /** The input was already under the primary version; store it unchanged. */
  public static RewrapResult current(byte[] ciphertext, String keyName, int version) {
    return new RewrapResult(ciphertext, keyName, version, version, true);
  }

  @Override
  public String toString() {
    return "RewrapResult[" + keyName + " v" + fromVersion + " -> v" + toVersion + (alreadyCurrent ? ", current" : "") + "]";
  }
}
