package io.keyward.keyserver.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.junit.jupiter.api.Test;

class HkdfSha256Test {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 5869 appendix A.1, A.2 and A.3 (the SHA-256 cases). */
  @Test
  void rfc5869Vectors() {
    List<String> failures = new ArrayList<>();
    check(failures, "A.1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9", 42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    check(failures, "A.2",
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
            + "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
            + "404142434445464748494a4b4c4d4e4f",
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
            + "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
            + "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
            + "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
            + "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        82,
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            + "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    check(failures, "A.3", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    assertEquals(List.of(), failures);
  }

  /** The wrap format depends on this being exactly BouncyCastle's HKDF, which sealed older blobs. */
  @Test
  void sameOutputAsBouncyCastleForRandomInputs() {
    Random random = new Random(5869);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      byte[] ikm = bytes(random, 1 + random.nextInt(64));
      byte[] salt = bytes(random, random.nextInt(40));
      byte[] info = bytes(random, random.nextInt(40));
      int length = 1 + random.nextInt(100);
      HKDFBytesGenerator bc = new HKDFBytesGenerator(new SHA256Digest());
      bc.init(new HKDFParameters(ikm, salt, info));
      byte[] expected = new byte[length];
      bc.generateBytes(expected, 0, length);
      byte[] actual = HkdfSha256.derive(ikm, salt, info, length);
      if (!Arrays.equals(expected, actual)) {
        failures.add("case " + i + ": ikm " + ikm.length + " salt " + salt.length + " info " + info.length
            + " length " + length);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void rejectsOutputLengthsOutsideTheRfcBounds() {
    byte[] ikm = new byte[32];
    assertTrue(assertThrows(IllegalArgumentException.class, () -> HkdfSha256.derive(ikm, ikm, ikm, 0))
        .getMessage().endsWith("got 0"));
    assertThrows(IllegalArgumentException.class, () -> HkdfSha256.derive(ikm, ikm, ikm, 255 * 32 + 1));
  }

  private static void check(List<String> failures, String name, String ikm, String salt, String info, int length,
      String okm) {
    String actual = HEX.formatHex(HkdfSha256.derive(HEX.parseHex(ikm), HEX.parseHex(salt), HEX.parseHex(info), length));
    if (!actual.equals(okm)) {
      failures.add(name + ": got " + actual);
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
