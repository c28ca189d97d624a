package io.keyward.sdk.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An opener serves only ciphertexts whose header is byte for byte the one it checked: any other
 * header is handed back (null) for the full checks, and a changed nonce, body or tag under its
 * own header fails like every other integrity failure.
 */
class MessageOpenerTest {
  private static final byte[] CONTEXT = CanonicalContext.encode(Map.of("k", "v"));
  private final DataKey key = DataKey.deriveFromInsecureBytes(new byte[32]);
  private final byte[] header =
      Header.encodeMessage("payments", 7, new byte[] {5, 6, 7}, key.commitment());
  private final byte[] plaintext = "4111 1111 1111 1111".getBytes();
  private final byte[] ct =
      MessageEncrypter.create(key, header, CONTEXT, 10, 1000).tryEncrypt(plaintext);
  private final MessageOpener opener = MessageOpener.forHeader(key, Header.parse(ct), CONTEXT);

  @Test
  void opensEveryMessageUnderItsHeader() {
    MessageEncrypter encrypter = MessageEncrypter.create(key, header, CONTEXT, 10, 1 << 20);
    for (int n : new int[] {0, 1, 15, 16, 17, 4096}) {
      byte[] p = new byte[n];
      Arrays.fill(p, (byte) n);
      assertArrayEquals(p, opener.openIfSameHeader(encrypter.tryEncrypt(p)));
    }
  }

  @Test
  void everyChangedHeaderByteIsHandedBackAndEveryOtherChangeFails() {
    List<String> failures = new ArrayList<>();
    for (int bit = 0; bit < ct.length * 8; bit++) {
      byte[] bad = ct.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      boolean inHeader = bit / 8 < header.length;
      try {
        byte[] out = opener.openIfSameHeader(bad);
        if (!inHeader || out != null) {
          failures.add("flip bit " + bit + ": " + (out == null ? "null" : "decrypted"));
        }
      } catch (DecryptionFailedException e) {
        if (inHeader) {
          failures.add("flip bit " + bit + " in the header threw instead of returning null");
        }
      }
    }
    for (int length = 0; length < ct.length; length++) {
      byte[] bad = Arrays.copyOf(ct, length);
      if (length < header.length) {
        if (opener.openIfSameHeader(bad) != null) {
          failures.add("truncate to " + length + ": decrypted");
        }
      } else if (!throwsDecryptionFailed(() -> opener.openIfSameHeader(bad))) {
        failures.add("truncate to " + length + ": did not fail");
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void theContextIsBoundWhenTheOpenerIsMade() {
    MessageOpener other =
        MessageOpener.forHeader(key, Header.parse(ct), CanonicalContext.encode(Map.of()));
    assertThrows(DecryptionFailedException.class, () -> other.openIfSameHeader(ct));
  }

  @Test
  void aHeaderIsCheckedAgainstItsKeyBeforeAnyOpenerExists() {
    DataKey otherKey = DataKey.deriveFromInsecureBytes(new byte[] {
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0});
    assertThrows(DecryptionFailedException.class,
        () -> MessageOpener.forHeader(otherKey, Header.parse(ct), CONTEXT));
    byte[] stream = Header.encodeStream("payments", 7, new byte[] {5}, key.commitment(),
        Header.DEFAULT_SEGMENT_BYTES, new byte[Header.SALT_BYTES]);
    assertThrows(DecryptionFailedException.class,
        () -> MessageOpener.forHeader(key, Header.parse(stream), CONTEXT));
  }

  @Test
  void constantTimeEqualityComparesEveryByteOfTheRange() {
    byte[] a = new byte[37];
    for (int i = 0; i < a.length; i++) {
      a[i] = (byte) (i * 31);
    }
    for (int len = 0; len <= 20; len++) {
      assertTrue(ConstantTime.equal(a, 3, a.clone(), 3, len));
      for (int i = 0; i < len; i++) {
        byte[] b = a.clone();
        b[3 + i] ^= (byte) 0x80;
        assertFalse(ConstantTime.equal(a, 3, b, 3, len), "len " + len + " differs at " + i);
      }
    }
  }

  @Test
  void keyMaterialNeverShowsInToString() {
    assertEquals("MessageOpener[key=REDACTED]", opener.toString());
  }

  private static boolean throwsDecryptionFailed(Runnable r) {
    try {
      r.run();
      return false;
    } catch (DecryptionFailedException e) {
      return true;
    }
  }
}
