package io.keyward.sdk.aead;

/**
 * Segment nonces for streaming (docs/ciphertext-format.md, "Streaming"): seven zero bytes, the
 * 32-bit big-endian segment index, then 0x01 for the final segment or 0x00 otherwise. Every
 * stream has its own key (HKDF from the DEK's message key and the stream's random salt), so the
 * index alone keeps nonces unique; the index catches reordering, duplication and dropped
 * segments, and the final flag catches truncation at a segment boundary.
 */
final class StreamSegments {
  static final long MAX_SEGMENTS = 1L << 32;

  private StreamSegments() {}

  static void nonce(byte[] nonce, long index, boolean last) {
    for (int i = 0; i < 7; i++) {
      nonce[i] = 0;
    }
    nonce[7] = (byte) (index >>> 24);
    nonce[8] = (byte) (index >>> 16);
    nonce[9] = (byte) (index >>> 8);
    nonce[10] = (byte) index;
    nonce[11] = (byte) (last ? 1 : 0);
  }
}
