package io.keyward.sdk.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalContextTest {
  @Test
  void encodesTheDocumentedExample() {
    assertEquals("0002000161000000067465" + "6e616e74000461636d65",
        HexFormat.of().formatHex(CanonicalContext.encode(Map.of("tenant", "acme", "a", ""))));
    assertArrayEquals(new byte[] {0, 0}, CanonicalContext.encode(Map.of()));
  }

  @Test
  void insertionOrderDoesNotMatter() {
    Map<String, String> one = new LinkedHashMap<>();
    one.put("x", "1");
    one.put("y", "2");
    Map<String, String> two = new LinkedHashMap<>();
    two.put("y", "2");
    two.put("x", "1");
    assertArrayEquals(CanonicalContext.encode(one), CanonicalContext.encode(two));
  }

  @Test
  void sortsByUtf8BytesNotByUtf16() {
    // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D) but before it in UTF-8 (EF < F0).
    String halfwidth = "\uFF61";
    String emoji = "\uD83D\uDE00";
    assertTrue(emoji.compareTo(halfwidth) < 0);
    byte[] encoded = CanonicalContext.encode(Map.of(emoji, "e", halfwidth, "h"));
    assertEquals((byte) 0xEF, encoded[4], "U+FF61 must come first");
  }

  @Test
  void distinctContextsEncodeDistinctly() {
    // Length prefixes keep ("ab","") and ("a","b") apart.
    assertFalse(Arrays.equals(CanonicalContext.encode(Map.of("ab", "")),
        CanonicalContext.encode(Map.of("a", "b"))));
  }

  @Test
  void rejectsWhatCannotBeEncodedUnambiguously() {
    assertThrows(IllegalArgumentException.class, () -> CanonicalContext.encode(null));
    assertThrows(IllegalArgumentException.class, () -> CanonicalContext.encode(Map.of("", "v")));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalContext.encode(Map.of("lone", "\uD800")));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalContext.encode(Map.of("\uDC00", "v")));
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    assertThrows(IllegalArgumentException.class, () -> CanonicalContext.encode(nullValue));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalContext.encode(Map.of("k".repeat(257), "v")));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalContext.encode(Map.of("k", "v".repeat(1025))));
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 65; i++) {
      many.put("k" + i, "v");
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CanonicalContext.encode(many));
    assertEquals("context may hold at most 64 entries, got 65", e.getMessage());
    many.remove("k0");
    assertEquals(64, CanonicalContext.encode(many)[1]);
  }
}
