package io.keyward.keyserver.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.keys.SealedBlobs.Purpose;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SealedBlobsTest {
  private static final byte[] DEK = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private final VersionSecret secret = new VersionSecret(new byte[32]);
  private final VersionSecret otherSecret = new VersionSecret(filled(32, (byte) 7));
  private final byte[] context = EncryptionContexts.canonical(Map.of("tenant", "a", "purpose", "test"));

  @Test
  void roundTripCarriesNameAndVersion() {
    byte[] blob = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 3, DEK, context);
    SealedBlobs.Parsed parsed = SealedBlobs.parse(blob, Purpose.DATA_KEY);
    assertEquals("payments", parsed.keyName());
    assertEquals(3, parsed.version());
    assertArrayEquals(DEK, SealedBlobs.open(secret, parsed, context));
  }

  @Test
  void twoSealsOfTheSameKeyDiffer() {
    byte[] a = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    byte[] b = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void everyFlippedBitFailsTheSameWay() {
    byte[] blob = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    List<String> accepted = new ArrayList<>();
    for (int bit = 0; bit < blob.length * 8; bit++) {
      byte[] tampered = blob.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      KeyserverException e = assertThrows(KeyserverException.class, () -> openOrParse(tampered, context));
      if (e.code() != ErrorCode.INVALID_ARGUMENT || !e.getMessage().equals(SealedBlobs.INVALID_BLOB)) {
        accepted.add("bit " + bit + ": " + e.code() + " " + e.getMessage());
      }
    }
    assertTrue(accepted.isEmpty(), accepted.toString());
  }

  @Test
  void everyTruncationAndAnAppendedByteFail() {
    byte[] blob = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    for (int length = 0; length < blob.length; length++) {
      byte[] cut = Arrays.copyOf(blob, length);
      assertThrows(KeyserverException.class, () -> openOrParse(cut, context), "length " + length);
    }
    byte[] longer = Arrays.copyOf(blob, blob.length + 1);
    assertThrows(KeyserverException.class, () -> openOrParse(longer, context));
  }

  @Test
  void changedContextFails() {
    byte[] blob = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    SealedBlobs.Parsed parsed = SealedBlobs.parse(blob, Purpose.DATA_KEY);
    for (Map<String, String> other : List.of(
        Map.<String, String>of(), Map.of("tenant", "b", "purpose", "test"), Map.of("tenant", "a"),
        Map.of("tenant", "a", "purpose", "test", "extra", ""))) {
      KeyserverException e = assertThrows(KeyserverException.class,
          () -> SealedBlobs.open(secret, parsed, EncryptionContexts.canonical(other)));
      assertEquals(SealedBlobs.INVALID_BLOB, e.getMessage());
    }
  }

  @Test
  void wrongVersionSecretFails() {
    byte[] blob = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    assertThrows(KeyserverException.class,
        () -> SealedBlobs.open(otherSecret, SealedBlobs.parse(blob, Purpose.DATA_KEY), context));
  }

  @Test
  void aWrappedKeyIsNotACiphertextAndBackwards() {
    byte[] wrapped = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    byte[] ciphertext = SealedBlobs.seal(secret, Purpose.CIPHERTEXT, "payments", 1, DEK, context);
    assertThrows(KeyserverException.class, () -> SealedBlobs.parse(wrapped, Purpose.CIPHERTEXT));
    assertThrows(KeyserverException.class, () -> SealedBlobs.parse(ciphertext, Purpose.DATA_KEY));
    // Even with the purpose byte forged, the derived key differs and the tag fails.
    byte[] forged = ciphertext.clone();
    forged[0] = 1;
    assertThrows(KeyserverException.class,
        () -> SealedBlobs.open(secret, SealedBlobs.parse(forged, Purpose.DATA_KEY), context));
  }

  @Test
  void hostileLengthFieldsFailBeforeDecrypting() {
    byte[] blob = SealedBlobs.seal(secret, Purpose.DATA_KEY, "payments", 1, DEK, context);
    for (int nameLength : new int[] {0, 200, 255, 9}) {
      byte[] hostile = blob.clone();
      hostile[1] = (byte) nameLength;
      assertThrows(KeyserverException.class, () -> openOrParse(hostile, context), "name length " + nameLength);
    }
    assertThrows(KeyserverException.class, () -> SealedBlobs.parse(null, Purpose.DATA_KEY));
    assertThrows(KeyserverException.class, () -> SealedBlobs.parse(new byte[1 << 20], Purpose.DATA_KEY));
  }

  @Test
  void canonicalContextIsOrderFreeAndUnambiguous() {
    java.util.LinkedHashMap<String, String> forward = new java.util.LinkedHashMap<>();
    forward.put("a", "1");
    forward.put("b", "2");
    java.util.LinkedHashMap<String, String> backward = new java.util.LinkedHashMap<>();
    backward.put("b", "2");
    backward.put("a", "1");
    assertArrayEquals(EncryptionContexts.canonical(forward), EncryptionContexts.canonical(backward));
    assertFalse(Arrays.equals(
        EncryptionContexts.canonical(Map.of("ab", "c")), EncryptionContexts.canonical(Map.of("a", "bc"))));
  }

  @Test
  void oversizedContextsAreRejected() {
    assertThrows(KeyserverException.class, () -> EncryptionContexts.canonical(Map.of("", "v")));
    assertThrows(KeyserverException.class, () -> EncryptionContexts.canonical(Map.of("k", "x".repeat(1025))));
    java.util.Map<String, String> many = new java.util.HashMap<>();
    for (int i = 0; i < 65; i++) {
      many.put("k" + i, "v");
    }
    assertThrows(KeyserverException.class, () -> EncryptionContexts.canonical(many));
  }

  @Test
  void secretToStringIsRedacted() {
    assertEquals("VersionSecret[REDACTED]", otherSecret.toString());
  }

  private static void openOrParse(byte[] blob, byte[] context) {
    SealedBlobs.open(new VersionSecret(new byte[32]), SealedBlobs.parse(blob, Purpose.DATA_KEY), context);
  }

  private static byte[] filled(int n, byte b) {
    byte[] out = new byte[n];
    Arrays.fill(out, b);
    return out;
  }
}
