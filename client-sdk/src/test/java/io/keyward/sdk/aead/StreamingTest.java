package io.keyward.sdk.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Segmented AEAD at the smallest segment size, so that every boundary case is cheap to reach. */
class StreamingTest {
  private static final int SEGMENT = Header.MIN_SEGMENT_BYTES;
  private static final byte[] CONTEXT = CanonicalContext.encode(Map.of("k", "v"));
  private final DataKey key = DataKey.deriveFromInsecureBytes(new byte[32]);

  private byte[] seal(byte[] plaintext, int chunk) throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (StreamEncryptingOutputStream out = StreamEncryptingOutputStream.open(
        sink, key, "payments", 1, new byte[] {9, 9}, CONTEXT, SEGMENT)) {
      for (int off = 0; off < plaintext.length; off += chunk) {
        out.write(plaintext, off, Math.min(chunk, plaintext.length - off));
      }
    }
    return sink.toByteArray();
  }

  private byte[] open(byte[] ciphertext, byte[] context) throws IOException {
    InputStream in = new ByteArrayInputStream(ciphertext);
    Header header = Header.read(in);
    try (InputStream plain = StreamDecryptingInputStream.open(in, header, key, context)) {
      return plain.readAllBytes();
    }
  }

  @Test
  void roundTripsAtEverySegmentBoundary() throws IOException {
    Random random = new Random(5);
    for (int n : new int[] {0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT,
        3 * SEGMENT + 7}) {
      byte[] plaintext = new byte[n];
      random.nextBytes(plaintext);
      for (int chunk : new int[] {1, 100, SEGMENT, 5000}) {
        byte[] ct = seal(plaintext, chunk);
        int segments = Math.max(1, (n + SEGMENT - 1) / SEGMENT);
        int header = ct.length - n - segments * Header.TAG_BYTES;
        assertEquals(Header.read(new ByteArrayInputStream(ct)).length(), header, "n=" + n);
        assertArrayEquals(plaintext, open(ct, CONTEXT), "n=" + n + " chunk=" + chunk);
      }
    }
  }

  @Test
  void eachStreamHasItsOwnSaltAndKey() throws IOException {
    byte[] a = seal(new byte[10], 10);
    byte[] b = seal(new byte[10], 10);
    assertTrue(!Arrays.equals(a, b));
  }

  @Test
  void everyBitFlipAndEveryTruncationOfASmallStreamFails() throws IOException {
    byte[] plaintext = new byte[2 * SEGMENT + 10];
    new Random(6).nextBytes(plaintext);
    byte[] ct = seal(plaintext, 333);
    List<String> failures = new ArrayList<>();
    int rewrappable = 0;
    for (int bit = 0; bit < ct.length * 8; bit++) {
      byte[] bad = ct.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      if (RewrappableBits.contains(ct, bit)) {
        // Not authenticated by the AEAD (the keyserver authenticates the wrap): still opens here,
        // unless the version became 0, which the header parser refuses.
        rewrappable++;
        byte[] opened = bit == 8 * 14 ? null : open(bad, CONTEXT);
        if (opened != null && !Arrays.equals(plaintext, opened)) {
          failures.add("flip " + bit + ": wrong plaintext");
        }
        continue;
      }
      expectFailure(failures, "flip " + bit, bad, CONTEXT);
    }
    assertEquals(8 * (4 + 2), rewrappable);
    for (int length = 0; length < ct.length; length++) {
      expectFailure(failures, "truncate " + length, Arrays.copyOf(ct, length), CONTEXT);
    }
    expectFailure(failures, "append", Arrays.copyOf(ct, ct.length + 1), CONTEXT);
    expectFailure(failures, "context", ct, CanonicalContext.encode(Map.of()));
    assertTrue(failures.isEmpty(), failures.size() + " cases:\n" + String.join("\n", failures));
  }

  private void expectFailure(List<String> failures, String what, byte[] ct, byte[] context) {
    try {
      open(ct, context);
      failures.add(what + ": decrypted");
    } catch (DecryptionFailedException expected) {
      // the uniform failure; anything else is recorded below
    } catch (IOException | RuntimeException e) {
      failures.add(what + ": threw " + e);
    }
  }

  @Test
  void plaintextIsReleasedOnlyPerVerifiedSegmentAndFailureSticks() throws IOException {
    byte[] plaintext = new byte[3 * SEGMENT];
    byte[] ct = seal(plaintext, SEGMENT);
    byte[] bad = ct.clone();
    bad[bad.length - 1] ^= 1; // the final segment's tag
    InputStream in = new ByteArrayInputStream(bad);
    Header header = Header.read(in);
    InputStream plain = StreamDecryptingInputStream.open(in, header, key, CONTEXT);
    assertEquals(2 * SEGMENT, plain.readNBytes(2 * SEGMENT).length);
    assertThrows(DecryptionFailedException.class, () -> plain.read(new byte[10]));
    assertThrows(DecryptionFailedException.class, plain::read);
  }

  @Test
  void aDifferentDataKeyFailsAtTheCommitment() throws IOException {
    byte[] ct = seal(new byte[10], 10);
    InputStream in = new ByteArrayInputStream(ct);
    Header header = Header.read(in);
    DataKey other = DataKey.deriveFromInsecureBytes(new byte[] {
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0});
    assertThrows(DecryptionFailedException.class,
        () -> StreamDecryptingInputStream.open(in, header, other, CONTEXT));
  }

  @Test
  void writingAfterCloseFails() throws IOException {
    StreamEncryptingOutputStream out = StreamEncryptingOutputStream.open(
        new ByteArrayOutputStream(), key, "payments", 1, new byte[] {1}, CONTEXT, SEGMENT);
    out.close();
    out.close(); // idempotent
    assertThrows(IOException.class, () -> out.write(1));
  }
}
