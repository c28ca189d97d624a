package io.keyward.sdk.aead;

/**
 * The bits a rewrap may change: the key version and the wrapped DEK bytes (not their length).
 * The AEAD does not authenticate them (docs/ciphertext-format.md, "Associated data"), so at this
 * layer a flip there still decrypts; the keyserver's unwrap and the SDK's check of the version it
 * reports catch it (io.keyward.sdk.TamperingTest).
 */
final class RewrappableBits {
  private RewrappableBits() {}

  static boolean contains(byte[] ciphertext, int bit) {
    int n = ciphertext[2] & 0xFF;
    int version = 3 + n;
    int wrappedLength = ((ciphertext[version + 4] & 0xFF) << 8) | (ciphertext[version + 5] & 0xFF);
    int wrapped = version + 6;
    int b = bit / 8;
    return (b >= version && b < version + 4) || (b >= wrapped && b < wrapped + wrappedLength);
  }
}
