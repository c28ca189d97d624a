package io.keyward.sdk.aead;

import io.keyward.sdk.format.Header;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * Encrypts an unbounded plaintext as a sequence of AES-256-GCM segments. Nothing is secret until
 * {@link #close()} writes the final segment: a stream that is not closed cannot be decrypted
 * (the reader reports the missing final segment as a decryption failure). Not thread-safe.
 */
public final class StreamEncryptingOutputStream extends OutputStream {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final OutputStream sink;
  private final SecretKey segmentKey;
  private final byte[] aad;
  private final byte[] plain;
  private final byte[] sealed;
  private final byte[] nonce = new byte[AesGcm.NONCE_BYTES];
  private int buffered;
  private long index;
  private boolean closed;

  private StreamEncryptingOutputStream(OutputStream sink, SecretKey segmentKey, byte[] header,
      byte[] canonicalContext, int segmentSize) {
    this.sink = sink;
    this.segmentKey = segmentKey;
    this.aad = Header.associatedData(header, canonicalContext);
    this.plain = new byte[segmentSize];
    this.sealed = new byte[segmentSize + AesGcm.TAG_BYTES];
  }

  /**
   * Writes the stream header to {@code sink} and returns a stream that encrypts into it. A fresh
   * random 256-bit salt gives this stream its own segment key.
   */
  public static StreamEncryptingOutputStream open(OutputStream sink, DataKey key, String keyName,
      int keyVersion, byte[] wrappedDek, byte[] canonicalContext, int segmentSize)
      throws IOException {
    byte[] salt = new byte[Header.SALT_BYTES];
    RANDOM.nextBytes(salt);
    return open(sink, key, keyName, keyVersion, wrappedDek, canonicalContext, segmentSize, salt);
  }

  /** With a given salt: known-answer tests only. */
  static StreamEncryptingOutputStream open(OutputStream sink, DataKey key, String keyName,
      int keyVersion, byte[] wrappedDek, byte[] canonicalContext, int segmentSize, byte[] salt)
      throws IOException {
    byte[] header = Header.encodeStream(
        keyName, keyVersion, wrappedDek, key.commitment(), segmentSize, salt);
    StreamEncryptingOutputStream out = new StreamEncryptingOutputStream(
        sink, key.streamKey(salt), header, canonicalContext, segmentSize);
    sink.write(header);
    return out;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    ensureOpen();
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    while (len > 0) {
      if (buffered == plain.length) {
        // More data follows, so the full buffer is not the final segment.
        emit(false);
      }
      int n = Math.min(len, plain.length - buffered);
      System.arraycopy(b, off, plain, buffered, n);
      buffered += n;
      off += n;
      len -= n;
    }
  }

  private void emit(boolean last) throws IOException {
    if (index >= StreamSegments.MAX_SEGMENTS) {
      throw new IOException("stream exceeds 2^32 segments");
    }
    StreamSegments.nonce(nonce, index, last);
    AesGcm.seal(segmentKey, nonce, 0, aad, aad.length, null, plain, 0, buffered, sealed, 0);
    sink.write(sealed, 0, buffered + AesGcm.TAG_BYTES);
    Arrays.fill(plain, 0, buffered, (byte) 0);
    buffered = 0;
    index++;
  }

  /** Only passes the flush on: a partial segment is never written before it is complete. */
  @Override
  public void flush() throws IOException {
    ensureOpen();
    sink.flush();
  }

  /** Writes the final segment and closes the sink. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      emit(true);
    } finally {
      sink.close();
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
  }
}
