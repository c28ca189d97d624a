package io.keyward.sdk;

import io.keyward.sdk.format.TextForm;

/**
 * What {@link KeywardClient#rewrap} did to one ciphertext: the key version its data key was
 * wrapped under before and after, and the resulting bytes. Holds no key material.
 */
public final class RewrapResult {
  private final byte[] ciphertext;
  private final int previousVersion;
  private final int newVersion;

  RewrapResult(byte[] ciphertext, int previousVersion, int newVersion) {
    this.ciphertext = ciphertext;
    this.previousVersion = previousVersion;
    this.newVersion = newVersion;
  }

  /**
   * The rewrapped ciphertext; when nothing {@linkplain #changed() changed}, the input's bytes.
   * For {@link KeywardClient#rewrapStream} only the header (the body was copied unchanged).
   */
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  /** {@link #ciphertext()} in the text form {@code kw1.<base64url>}. */
  public String ciphertextText() {
    return TextForm.encode(ciphertext);
  }

  /** The key version the data key was wrapped under before (unsigned 32-bit in an int). */
  public int previousVersion() {
    return previousVersion;
  }

  /** The key version it is wrapped under now: the key's primary version at the time. */
  public int newVersion() {
    return newVersion;
  }

  /** False when the data key already was under the primary version (the bytes are unchanged). */
  public boolean changed() {
    return previousVersion != newVersion;
  }

  @Override
  public String toString() {
    return "RewrapResult[v" + Integer.toUnsignedString(previousVersion) + " -> v"
        + Integer.toUnsignedString(newVersion) + "]";
  }
}
