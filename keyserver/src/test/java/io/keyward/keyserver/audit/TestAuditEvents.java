package io.keyward.keyserver.audit;

import io.keyward.testing.FakeClock;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;

/** Distinct audit events with every optional field sometimes absent; thread-safe. */
final class TestAuditEvents {
  private final FakeClock clock = FakeClock.startingAt2026();
  private final AtomicInteger requests = new AtomicInteger();

  AuditEvent next() {
    int n = requests.incrementAndGet();
    return new AuditEvent(
        clock.instant().plusNanos(n * 1_000L),
        "req-" + n,
        n % 3 == 0 ? Optional.empty() : Optional.of("system:serviceaccount:shop:api"),
        "GenerateDataKey",
        n % 5 == 0 ? Optional.empty() : Optional.of("payments"),
        n % 5 == 0 ? OptionalInt.empty() : OptionalInt.of(n % 7 + 1),
        n % 11 == 0 ? "PERMISSION_DENIED" : "OK");
  }
}
