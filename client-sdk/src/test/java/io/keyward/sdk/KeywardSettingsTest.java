package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeywardSettingsTest {
  @TempDir Path dir;

  @Test
  void defaultsAreSafe() {
    KeywardSettings s = KeywardSettings.builder().tokenSource(TokenSources.fixed("t")).build();
    assertEquals(Duration.ofSeconds(5), s.callDeadline());
    assertEquals(1L << 24, s.dataKeyMaxMessages());
    assertEquals(1L << 32, s.dataKeyMaxBytes());
    assertEquals(Duration.ofMinutes(5), s.dataKeyMaxAge());
    assertEquals(Duration.ZERO, s.decryptGracePeriod());
    assertEquals(false, s.insecurePlaintext());
  }

  @Test
  void badValuesFailAtOnceSayingWhatWasGiven() {
    KeywardSettings.Builder b = KeywardSettings.builder();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.dataKeyMaxAge(Duration.ofSeconds(-5)));
    assertEquals("data key max-age must be positive and at most PT24H, got PT-5S", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.callDeadline(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.decryptKeyMaxAge(null));
    assertThrows(IllegalArgumentException.class, () -> b.decryptGracePeriod(Duration.ofDays(2)));
    assertThrows(IllegalArgumentException.class, () -> b.dataKeyMaxBytes(0));
    assertThrows(IllegalArgumentException.class, () -> b.dataKeyMaxBytes((1L << 40) + 1));
    assertThrows(IllegalArgumentException.class, () -> b.maxCachedDataKeys(0));
    assertThrows(IllegalArgumentException.class, () -> b.keyserverAddress(" "));
    assertThrows(IllegalArgumentException.class, () -> b.defaultKeyName(""));
    assertThrows(IllegalArgumentException.class, () -> b.defaultKeyName("k".repeat(256)));
    assertThrows(IllegalArgumentException.class, () -> b.trustedCaFile(dir.resolve("none.pem")));
    assertThrows(IllegalStateException.class, b::build); // no token source
  }

  @Test
  void tlsTrustAndPlaintextExcludeEachOther() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "not checked until connect");
    KeywardSettings.Builder b = KeywardSettings.builder()
        .tokenSource(TokenSources.fixed("t"))
        .trustedCaFile(ca)
        .insecurePlaintextForDevelopment();
    assertThrows(IllegalStateException.class, b::build);
  }

  @Test
  void clientNeedsAnAddressOrAChannel() {
    KeywardSettings s = KeywardSettings.builder().tokenSource(TokenSources.fixed("t")).build();
    assertThrows(IllegalArgumentException.class, () -> KeywardClient.create(s));
  }

  @Test
  void unreadableCaFileFailsAtCreate() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "garbage");
    KeywardSettings s = KeywardSettings.builder()
        .tokenSource(TokenSources.fixed("t"))
        .keyserverAddress("localhost:1")
        .trustedCaFile(ca)
        .build();
    assertThrows(IllegalArgumentException.class, () -> KeywardClient.create(s));
  }
}
