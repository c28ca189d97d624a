package io.keyward.sdk.format;

import io.keyward.sdk.DecryptionFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The header of a Keyward ciphertext, format version 1 (docs/ciphertext-format.md). Internal to
 * the SDK: public only so that the SDK's packages can share it.
 *
 * <p>Parsing checks every length against its bound and against the bytes that remain before it
 * looks further, and never allocates more than the bounded header itself. Every parse failure is
 * a {@link DecryptionFailedException}, like every other integrity failure.
 */
public final class Header {
  public static final int FORMAT_VERSION = 0x01;
  public static final int ALGORITHM_MESSAGE = 0x01;
  public static final int ALGORITHM_STREAM = 0x02;
  public static final int MAX_KEY_NAME_BYTES = 255;
  public static final int MAX_WRAPPED_DEK_BYTES = 512;
  public static final int COMMITMENT_BYTES = 32;
  public static final int SALT_BYTES = 32;
  public static final int NONCE_BYTES = 12;
  public static final int TAG_BYTES = 16;
  public static final int MIN_SEGMENT_BYTES = 1024;
  public static final int MAX_SEGMENT_BYTES = 1 << 24;
  public static final int DEFAULT_SEGMENT_BYTES = 1 << 16;

  private static final int MAX_HEADER_BYTES =
      3 + MAX_KEY_NAME_BYTES + 4 + 2 + MAX_WRAPPED_DEK_BYTES + COMMITMENT_BYTES + 4 + SALT_BYTES;

  private final byte[] buf;
  private final int length;
  private final int algorithm;
  private final int nameLength;
  private final int keyVersion;
  private final int wrappedOffset;
  private final int wrappedLength;
  private final int commitmentOffset;
  private final int segmentSize;
  private final int saltOffset;

  private Header(byte[] buf, int length, int algorithm, int nameLength, int keyVersion,
      int wrappedOffset, int wrappedLength, int commitmentOffset, int segmentSize, int saltOffset) {
    this.buf = buf;
    this.length = length;
    this.algorithm = algorithm;
    this.nameLength = nameLength;
    this.keyVersion = keyVersion;
    this.wrappedOffset = wrappedOffset;
    this.wrappedLength = wrappedLength;
    this.commitmentOffset = commitmentOffset;
    this.segmentSize = segmentSize;
    this.saltOffset = saltOffset;
  }

  /** Encodes a single-message header. */
  public static byte[] encodeMessage(
      String keyName, int keyVersion, byte[] wrappedDek, byte[] commitment) {
    return encode(ALGORITHM_MESSAGE, keyName, keyVersion, wrappedDek, commitment, 0, null);
  }

  /** Encodes a streaming header. */
  public static byte[] encodeStream(String keyName, int keyVersion, byte[] wrappedDek,
      byte[] commitment, int segmentSize, byte[] salt) {
    return encode(ALGORITHM_STREAM, keyName, keyVersion, wrappedDek, commitment, segmentSize, salt);
  }

  private static byte[] encode(int algorithm, String keyName, int keyVersion, byte[] wrappedDek,
      byte[] commitment, int segmentSize, byte[] salt) {
    byte[] name = keyNameBytes(keyName);
    if (keyVersion == 0) {
      throw new IllegalArgumentException("key version must be 1..2^32-1, got 0");
    }
    if (wrappedDek.length == 0 || wrappedDek.length > MAX_WRAPPED_DEK_BYTES) {
      throw new IllegalArgumentException(
          "wrapped data key must be 1.." + MAX_WRAPPED_DEK_BYTES + " bytes, got "
              + wrappedDek.length);
    }
    if (commitment.length != COMMITMENT_BYTES) {
      throw new IllegalArgumentException("commitment must be 32 bytes, got " + commitment.length);
    }
    boolean stream = algorithm == ALGORITHM_STREAM;
    if (stream && (segmentSize < MIN_SEGMENT_BYTES || segmentSize > MAX_SEGMENT_BYTES)) {
      throw new IllegalArgumentException("segment size must be " + MIN_SEGMENT_BYTES + ".."
          + MAX_SEGMENT_BYTES + ", got " + segmentSize);
    }
    if (stream && salt.length != SALT_BYTES) {
      throw new IllegalArgumentException("salt must be 32 bytes, got " + salt.length);
    }
    int size = 3 + name.length + 4 + 2 + wrappedDek.length + COMMITMENT_BYTES
        + (stream ? 4 + SALT_BYTES : 0);
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put((byte) FORMAT_VERSION).put((byte) algorithm).put((byte) name.length).put(name);
    out.putInt(keyVersion).putShort((short) wrappedDek.length).put(wrappedDek).put(commitment);
    if (stream) {
      out.putInt(segmentSize).put(salt);
    }
    return out.array();
  }

  /**
   * The associated data of every AES-GCM operation under this header (docs/ciphertext-format.md,
   * "Associated data"): format version, algorithm, key-name length and key name, then the
   * commitment (and, for a stream, segment size and salt), then the canonical context. The key
   * version and the wrapped DEK (with its length) are left out on purpose, so that a rewrap can
   * replace them without touching the payload: the keyserver authenticates the wrap itself, and
   * the commitment ties the payload to exactly one DEK.
   *
   * <p>This is the one place where the SDK builds associated data.
   */
  public byte[] associatedData(byte[] canonicalContext) {
    int prefix = 3 + nameLength;
    int suffix = length - commitmentOffset;
    byte[] aad = new byte[prefix + suffix + canonicalContext.length];
    System.arraycopy(buf, 0, aad, 0, prefix);
    System.arraycopy(buf, commitmentOffset, aad, prefix, suffix);
    System.arraycopy(canonicalContext, 0, aad, prefix + suffix, canonicalContext.length);
    return aad;
  }

  /** {@link #associatedData(byte[])} of an encoded header (from the {@code encode} methods). */
  public static byte[] associatedData(byte[] encodedHeader, byte[] canonicalContext) {
    return parse(encodedHeader).associatedData(canonicalContext);
  }

  /**
   * A copy of this header with the key version and wrapped DEK replaced (a rewrap); every other
   * byte, and so the associated data, is unchanged.
   */
  public byte[] withWrappedDek(int newKeyVersion, byte[] newWrappedDek) {
    if (newKeyVersion == 0) {
      throw new IllegalArgumentException("key version must be 1..2^32-1, got 0");
    }
    if (newWrappedDek.length == 0 || newWrappedDek.length > MAX_WRAPPED_DEK_BYTES) {
      throw new IllegalArgumentException("wrapped data key must be 1.." + MAX_WRAPPED_DEK_BYTES
          + " bytes, got " + newWrappedDek.length);
    }
    int versionOffset = 3 + nameLength;
    int tail = length - commitmentOffset;
    ByteBuffer out = ByteBuffer.allocate(versionOffset + 6 + newWrappedDek.length + tail);
    out.put(buf, 0, versionOffset).putInt(newKeyVersion).putShort((short) newWrappedDek.length)
        .put(newWrappedDek).put(buf, commitmentOffset, tail);
    return out.array();
  }

  /** Validates a key name as the header carries it: 1..255 bytes of well-formed UTF-8. */
  public static byte[] keyNameBytes(String keyName) {
    if (keyName == null) {
      throw new IllegalArgumentException("key name must not be null");
    }
    byte[] name;
    try {
      ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(keyName));
      name = Arrays.copyOfRange(b.array(), b.position(), b.limit());
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("key name is not well-formed Unicode");
    }
    if (name.length == 0 || name.length > MAX_KEY_NAME_BYTES) {
      throw new IllegalArgumentException(
          "key name must be 1.." + MAX_KEY_NAME_BYTES + " UTF-8 bytes, got " + name.length);
    }
    return name;
  }

  /**
   * Parses the header at the start of {@code ciphertext} without copying it; the returned header
   * refers to the array, which the caller must not change.
   */
  public static Header parse(byte[] ciphertext) {
    return parse(ciphertext, ciphertext.length);
  }

  private static Header parse(byte[] b, int available) {
    // Fixed part: version, algorithm, name length.
    require(available >= 3);
    require((b[0] & 0xFF) == FORMAT_VERSION);
    int algorithm = b[1] & 0xFF;
    require(algorithm == ALGORITHM_MESSAGE || algorithm == ALGORITHM_STREAM);
    int nameLength = b[2] & 0xFF;
    require(nameLength > 0);
    int p = 3 + nameLength;
    require(available >= p + 6);
    int keyVersion = getInt(b, p);
    require(keyVersion != 0);
    int wrappedLength = ((b[p + 4] & 0xFF) << 8) | (b[p + 5] & 0xFF);
    require(wrappedLength > 0 && wrappedLength <= MAX_WRAPPED_DEK_BYTES);
    int wrappedOffset = p + 6;
    int commitmentOffset = wrappedOffset + wrappedLength;
    int end = commitmentOffset + COMMITMENT_BYTES;
    int segmentSize = 0;
    int saltOffset = 0;
    if (algorithm == ALGORITHM_STREAM) {
      require(available >= end + 4 + SALT_BYTES);
      segmentSize = getInt(b, end);
      require(segmentSize >= MIN_SEGMENT_BYTES && segmentSize <= MAX_SEGMENT_BYTES);
      saltOffset = end + 4;
      end = saltOffset + SALT_BYTES;
    }
    require(available >= end);
    return new Header(b, end, algorithm, nameLength, keyVersion, wrappedOffset, wrappedLength,
        commitmentOffset, segmentSize, saltOffset);
  }

  /**
   * Reads a header from a stream, byte-exact: the stream is left at the first byte after it. At
   * most {@value #MAX_HEADER_BYTES} bytes are read or allocated whatever the length fields say.
   */
  public static Header read(InputStream in) throws IOException {
    byte[] b = new byte[MAX_HEADER_BYTES];
    int n = readFully(in, b, 0, 3);
    require(n == 3 && (b[0] & 0xFF) == FORMAT_VERSION && (b[2] & 0xFF) > 0);
    int want = 3 + (b[2] & 0xFF) + 6;
    n += readFully(in, b, n, want - n);
    require(n == want);
    int wrappedLength = ((b[n - 2] & 0xFF) << 8) | (b[n - 1] & 0xFF);
    require(wrappedLength > 0 && wrappedLength <= MAX_WRAPPED_DEK_BYTES);
    want = n + wrappedLength + COMMITMENT_BYTES + ((b[1] & 0xFF) == ALGORITHM_STREAM ? 36 : 0);
    n += readFully(in, b, n, want - n);
    require(n == want);
    return parse(b, n);
  }

  private static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
    int total = 0;
    while (total < len) {
      int r = in.read(b, off + total, len - total);
      if (r < 0) {
        break;
      }
      total += r;
    }
    return total;
  }

  private static int getInt(byte[] b, int p) {
    return ((b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8)
        | (b[p + 3] & 0xFF);
  }

  private static void require(boolean condition) {
    if (!condition) {
      throw new DecryptionFailedException();
    }
  }

  public int algorithm() {
    return algorithm;
  }

  /** Bytes from the start of the ciphertext up to the end of the header. */
  public int length() {
    return length;
  }

  /** The array that holds the header at offset 0 (not a copy; do not modify). */
  public byte[] array() {
    return buf;
  }

  /** The key name, decoded leniently: it is authenticated later, so a forged name fails then. */
  public String keyName() {
    return new String(buf, 3, nameLength, StandardCharsets.UTF_8);
  }

  /** The key version as an unsigned 32-bit value held in an int. */
  public int keyVersion() {
    return keyVersion;
  }

  public byte[] wrappedDek() {
    return Arrays.copyOfRange(buf, wrappedOffset, wrappedOffset + wrappedLength);
  }

  public int wrappedDekOffset() {
    return wrappedOffset;
  }

  public int wrappedDekLength() {
    return wrappedLength;
  }

  public int commitmentOffset() {
    return commitmentOffset;
  }

  public byte[] commitment() {
    return Arrays.copyOfRange(buf, commitmentOffset, commitmentOffset + COMMITMENT_BYTES);
  }

  public int segmentSize() {
    return segmentSize;
  }

  public byte[] salt() {
    return Arrays.copyOfRange(buf, saltOffset, saltOffset + SALT_BYTES);
  }

  @Override
  public String toString() {
    return "Header[algorithm=" + algorithm + ", keyVersion=" + Integer.toUnsignedString(keyVersion)
        + ", length=" + length + "]";
  }
}
