package io.keyward.keyserver.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.KeyserverException;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyNamesTest {
  @Test
  void acceptsOneTo128OfTheAllowedCharactersStartingWithALetterOrDigit() {
    for (String name : List.of("a", "Z", "7", "orders", "team-a.payments_v2", "0.-_", "a".repeat(128))) {
      assertTrue(KeyNames.isValid(name), name);
      assertEquals(name, KeyNames.requireValid(name));
    }
  }

  @Test
  void rejectsEverythingElse() {
    List<String> bad = List.of("", "a".repeat(129), ".hidden", "-x", "_x", "a b", "a/b", "a:b", "é", "a\u0663",
        "\uff41", "a\n", "key*");
    for (String name : bad) {
      assertFalse(KeyNames.isValid(name), name);
      assertThrows(KeyserverException.class, () -> KeyNames.requireValid(name), name);
    }
    assertFalse(KeyNames.isValid(null));
    assertThrows(KeyserverException.class, () -> KeyNames.requireValid(null));
  }
}
