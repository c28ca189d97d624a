package io.keyward.sdk.aead;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.Header;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * Decrypts a segmented stream. Plaintext is released one segment at a time and only after that
 * segment's tag verified; truncation is detected when the end is reached (the last segment read
 * was not sealed as final) and reported, like every other integrity failure, as {@link
 * DecryptionFailedException} thrown from {@code read}. A caller must therefore not act on the
 * plaintext until {@code read} has returned -1. Not thread-safe.
 */
public final class StreamDecryptingInputStream extends InputStream {
  private final InputStream source;
  private final SecretKey segmentKey;
  private final byte[] aad;
  private final int segmentSize;
  private final byte[] sealed; // one sealed segment plus one byte of look-ahead
  private final byte[] plain;
  private final byte[] nonce = new byte[AesGcm.NONCE_BYTES];
  private int carried; // look-ahead bytes already at sealed[0]
  private int plainPos;
  private int plainEnd;
  private long index;
  private boolean finalSeen;
  private boolean failed;

  private StreamDecryptingInputStream(InputStream source, SecretKey segmentKey, byte[] aad,
      int segmentSize) {
    this.source = source;
    this.segmentKey = segmentKey;
    this.aad = aad;
    this.segmentSize = segmentSize;
    this.sealed = new byte[segmentSize + AesGcm.TAG_BYTES + 1];
    this.plain = new byte[segmentSize];
  }

  /**
   * Returns a stream that decrypts the segments following {@code header}, which the caller has
   * already read from {@code source} with {@link Header#read}.
   *
   * @throws DecryptionFailedException when the header is not a stream header or its key
   *     commitment does not match {@code key}
   */
  public static StreamDecryptingInputStream open(InputStream source, Header header, DataKey key,
      byte[] canonicalContext) {
    if (header.algorithm() != Header.ALGORITHM_STREAM
        || !key.commitmentMatches(header.array(), header.length() - Header.SALT_BYTES - 4
            - Header.COMMITMENT_BYTES)) {
      throw new DecryptionFailedException();
    }
    byte[] aad = header.associatedData(canonicalContext);
    return new StreamDecryptingInputStream(
        source, key.streamKey(header.salt()), aad, header.segmentSize());
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (failed) {
      throw new DecryptionFailedException();
    }
    if (len == 0) {
      return 0;
    }
    while (plainPos == plainEnd) {
      if (finalSeen) {
        return -1;
      }
      nextSegment();
    }
    int n = Math.min(len, plainEnd - plainPos);
    System.arraycopy(plain, plainPos, b, off, n);
    plainPos += n;
    return n;
  }

  private void nextSegment() throws IOException {
    int full = segmentSize + AesGcm.TAG_BYTES;
    int have = carried + source.readNBytes(sealed, carried, full + 1 - carried);
    boolean last = have <= full;
    int segmentLength = last ? have : full;
    if (segmentLength < AesGcm.TAG_BYTES || index >= StreamSegments.MAX_SEGMENTS) {
      fail();
    }
    StreamSegments.nonce(nonce, index, last);
    try {
      plainEnd = AesGcm.open(segmentKey, nonce, 0, aad, aad.length, null, sealed, 0,
          segmentLength, plain, 0);
    } catch (DecryptionFailedException e) {
      fail();
    }
    plainPos = 0;
    index++;
    if (last) {
      finalSeen = true;
      carried = 0;
    } else {
      sealed[0] = sealed[full];
      carried = 1;
    }
  }

  private void fail() {
    failed = true;
    Arrays.fill(plain, (byte) 0);
    plainPos = 0;
    plainEnd = 0;
    throw new DecryptionFailedException();
  }

  @Override
  public int available() {
    return plainEnd - plainPos;
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
