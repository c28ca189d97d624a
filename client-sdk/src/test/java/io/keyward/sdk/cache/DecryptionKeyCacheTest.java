package io.keyward.sdk.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keyward.sdk.KeyserverUnavailableException;
import io.keyward.sdk.PermissionDeniedException;
import io.keyward.testing.FakeClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DecryptionKeyCacheTest {
  private final FakeClock clock = FakeClock.startingAt2026();
  private final DecryptionKeyCache<String, String> cache = new DecryptionKeyCache<>(
      Duration.ofMinutes(1), Duration.ofMinutes(2), 10, clock::nanos);
  private final AtomicInteger loads = new AtomicInteger();

  private Function<String, String> loader(String value) {
    return k -> value + loads.incrementAndGet();
  }

  private Function<String, String> failing(RuntimeException e) {
    return k -> {
      loads.incrementAndGet();
      throw e;
    };
  }

  @Test
  void freshEntriesAreServedWithoutLoading() {
    assertEquals("v1", cache.get("k", loader("v")));
    clock.advance(Duration.ofSeconds(59));
    assertEquals("v1", cache.get("k", loader("v")));
    assertEquals(1, loads.get());
  }

  @Test
  void staleEntriesAreReloadedWhenTheKeyserverAnswers() {
    cache.get("k", loader("v"));
    clock.advance(Duration.ofMinutes(1));
    assertEquals("v2", cache.get("k", loader("v")));
  }

  @Test
  void graceServesStaleEntriesOnlyWhileUnavailableAndOnlyUntilItEnds() {
    KeyserverUnavailableException down = new KeyserverUnavailableException("down");
    cache.get("k", loader("v"));
    clock.advance(Duration.ofMinutes(2));
    assertEquals("v1", cache.get("k", failing(down)));
    assertEquals("v1", cache.get("k", failing(down)));
    assertEquals(3, loads.get()); // each stale read asks the keyserver first
    clock.advance(Duration.ofMinutes(1)); // 3 min = max-age + grace
    assertThrows(KeyserverUnavailableException.class, () -> cache.get("k", failing(down)));
    assertThrows(KeyserverUnavailableException.class, () -> cache.get("other", failing(down)));
  }

  @Test
  void aRefusalDropsTheStaleEntry() {
    cache.get("k", loader("v"));
    clock.advance(Duration.ofMinutes(2));
    assertThrows(PermissionDeniedException.class,
        () -> cache.get("k", failing(new PermissionDeniedException("no"))));
    assertThrows(KeyserverUnavailableException.class,
        () -> cache.get("k", failing(new KeyserverUnavailableException("down"))));
  }
}
