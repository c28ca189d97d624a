package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Keeps the KMS latency driver working; performance is reported by the full run, never asserted. */
class KmsDecryptLatencySmokeTest {
  @Test
  void measuresEveryPhase() throws Exception {
    KmsDecryptLatency.Result r = KmsDecryptLatency.run(20, 2);
    assertEquals(200, r.status().getTotalCount());
    assertEquals(20, r.miss().getTotalCount());
    assertEquals(40, r.hit().getTotalCount());
  }
}
