package io.keyward.sdk.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keyward.testing.FakeClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EncryptionKeyCacheTest {
  private final FakeClock clock = FakeClock.startingAt2026();
  private final EncryptionKeyCache<String, AtomicInteger> cache =
      new EncryptionKeyCache<>(Duration.ofMinutes(1), 10, clock::nanos);
  private final AtomicInteger loads = new AtomicInteger();

  /** A value that accepts {@code budget} uses, like a data key with a message limit. */
  private String use(int budget) {
    return cache.withValue("k", k -> k, k -> {
      loads.incrementAndGet();
      return new AtomicInteger(budget);
    }, remaining -> remaining.getAndDecrement() > 0 ? "ok" : null);
  }

  @Test
  void aSpentValueIsRetiredAndReplaced() {
    use(2);
    use(2);
    assertEquals(1, loads.get());
    use(2);
    assertEquals(2, loads.get());
  }

  @Test
  void valuesExpireByAge() {
    use(100);
    clock.advance(Duration.ofSeconds(59));
    use(100);
    assertEquals(1, loads.get());
    clock.advance(Duration.ofSeconds(1));
    use(100);
    assertEquals(2, loads.get());
  }

  @Test
  void aValueThatRefusesEvenWhenFreshIsAnError() {
    assertThrows(IllegalStateException.class, () -> use(0));
  }
}
