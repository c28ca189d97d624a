package io.keyward.sdk.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.DecryptionFailedException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextFormTest {
  @Test
  void roundTripsEveryLengthWithUrlSafeCharacters() {
    Random random = new Random(3);
    for (int n = 1; n < 70; n++) {
      byte[] b = new byte[n];
      random.nextBytes(b);
      String text = TextForm.encode(b);
      assertTrue(text.matches("kw1\\.[A-Za-z0-9_-]+"), text);
      assertTrue(TextForm.looksLikeCiphertext(text));
      assertArrayEquals(b, TextForm.decode(text));
    }
  }

  @Test
  void rejectsAnythingButTheCanonicalEncoding() {
    String good = TextForm.encode(new byte[] {1, 1, 7, 9}); // 4 bytes: 2 unused bits at the end
    assertArrayEquals(new byte[] {1, 1, 7, 9}, TextForm.decode(good));
    char last = good.charAt(good.length() - 1);
    String strayBits = good.substring(0, good.length() - 1) + (char) (last + 1);
    for (String bad : new String[] {good + "=", good + "==", " " + good, good + "\n",
        "KW1." + good.substring(4), "kw2." + good.substring(4),
        good.substring(0, 5) + "+" + good.substring(6),
        "kw1.", "kw1.A", strayBits, "kw1.AQ/E", "plain text"}) {
      assertThrows(DecryptionFailedException.class, () -> TextForm.decode(bad), bad);
    }
    assertFalse(TextForm.looksLikeCiphertext("kw1.AQE="));
    assertFalse(TextForm.looksLikeCiphertext("{\"kw1.\":1}"));
  }
}
