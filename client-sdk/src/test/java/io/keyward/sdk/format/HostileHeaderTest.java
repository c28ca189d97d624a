package io.keyward.sdk.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.DecryptionFailedException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Length fields set to 0, to their maximum (0xFF, 0xFFFF, 0xFFFFFFFF) or past the end of the input
 * fail fast, with the uniform exception, and without allocating anything large.
 */
class HostileHeaderTest {
  private static final byte[] WRAPPED = new byte[40];
  private static final byte[] COMMITMENT = new byte[32];

  private static byte[] message() {
    byte[] header = Header.encodeMessage("payments", 1, WRAPPED, COMMITMENT);
    return Arrays.copyOf(header, header.length + 28); // room for nonce and tag
  }

  private static byte[] stream() {
    return Header.encodeStream("payments", 1, WRAPPED, COMMITMENT, 65536, new byte[32]);
  }

  // Offsets inside a header with the 8-byte name "payments".
  private static final int NAME_LENGTH = 2;
  private static final int KEY_VERSION = 3 + 8;
  private static final int WRAPPED_LENGTH = KEY_VERSION + 4;
  private static final int SEGMENT_SIZE = WRAPPED_LENGTH + 2 + WRAPPED.length + 32;

  @Test
  void wellFormedHeadersParse() throws Exception {
    Header m = Header.parse(message());
    assertEquals("payments", m.keyName());
    assertEquals(WRAPPED.length, m.wrappedDekLength());
    Header s = Header.read(new ByteArrayInputStream(stream()));
    assertEquals(65536, s.segmentSize());
    assertEquals(stream().length, s.length());
  }

  @Test
  void hostileLengthsFailFastWithoutLargeAllocations() {
    assertRejectedCheaply("name length 0", () -> Header.parse(withByte(message(), NAME_LENGTH, 0)));
    assertRejectedCheaply("name length 255, past the end",
        () -> Header.parse(withByte(Arrays.copyOf(message(), 100), NAME_LENGTH, 0xFF)));
    assertRejectedCheaply("key version 0",
        () -> Header.parse(withInt(message(), KEY_VERSION, 0)));
    assertRejectedCheaply("wrapped length 0",
        () -> Header.parse(withShort(message(), WRAPPED_LENGTH, 0)));
    assertRejectedCheaply("wrapped length 0xFFFF",
        () -> Header.parse(withShort(message(), WRAPPED_LENGTH, 0xFFFF)));
    assertRejectedCheaply("wrapped length 513",
        () -> Header.parse(withShort(message(), WRAPPED_LENGTH, 513)));
    assertRejectedCheaply("wrapped length past the end",
        () -> Header.parse(withShort(Arrays.copyOf(message(), 80), WRAPPED_LENGTH, 200)));
    assertRejectedCheaply("commitment cut short",
        () -> Header.parse(Arrays.copyOf(message(), SEGMENT_SIZE - 1)));

    assertRejectedCheaply("segment size 0",
        () -> Header.read(in(withInt(stream(), SEGMENT_SIZE, 0))));
    assertRejectedCheaply("segment size 0xFFFFFFFF",
        () -> Header.read(in(withInt(stream(), SEGMENT_SIZE, 0xFFFFFFFF))));
    assertRejectedCheaply("segment size 2^24 + 1",
        () -> Header.read(in(withInt(stream(), SEGMENT_SIZE, (1 << 24) + 1))));
    assertRejectedCheaply("stream wrapped length 0xFFFF",
        () -> Header.read(in(withShort(stream(), WRAPPED_LENGTH, 0xFFFF))));
    assertRejectedCheaply("stream name length 255, past the end",
        () -> Header.read(in(withByte(stream(), NAME_LENGTH, 0xFF))));
    assertRejectedCheaply("stream salt cut short",
        () -> Header.read(in(Arrays.copyOf(stream(), stream().length - 1))));
    assertRejectedCheaply("empty input", () -> Header.parse(new byte[0]));
    assertRejectedCheaply("empty stream", () -> Header.read(in(new byte[0])));
    assertRejectedCheaply("version 0xFF", () -> Header.parse(withByte(message(), 0, 0xFF)));
    assertRejectedCheaply("algorithm 0", () -> Header.parse(withByte(message(), 1, 0)));
  }

  private static void assertRejectedCheaply(String what, Executable parse) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    assertThrows(DecryptionFailedException.class, parse, what);
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    // The largest legitimate header is 844 bytes; JUnit's own bookkeeping adds a little.
    assertTrue(allocated < 256 * 1024, what + ": allocated " + allocated + " bytes");
  }

  private static InputStream in(byte[] b) {
    return new ByteArrayInputStream(b);
  }

  private static byte[] withByte(byte[] b, int offset, int value) {
    b[offset] = (byte) value;
    return b;
  }

  private static byte[] withShort(byte[] b, int offset, int value) {
    ByteBuffer.wrap(b).putShort(offset, (short) value);
    return b;
  }

  private static byte[] withInt(byte[] b, int offset, int value) {
    ByteBuffer.wrap(b).putInt(offset, value);
    return b;
  }
}
