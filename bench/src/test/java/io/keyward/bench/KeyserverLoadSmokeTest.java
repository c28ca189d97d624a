package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load driver end to end, short: a real keyserver over TLS with real JWTs. Asserts that it
 * ran every phase without a single failed call; performance is reported by the full run, never
 * asserted here.
 */
class KeyserverLoadSmokeTest {
  @TempDir Path dir;

  @Test
  void shortRunCompletesEveryPhaseWithoutErrors() throws Exception {
    Path out = dir.resolve("results.json");
    LoadOptions options = LoadOptions.parse(List.of(
        "--in-flight", "16", "--warmup", "1s", "--duration=2s", "--channels", "2", "--time-limit", "2m",
        "--out", out.toString()));

    LoadReport report = KeyserverLoad.run(options);
    report.writeJson(out);
    System.out.print(report.table());

    assertEquals(0, report.errorCount(), report::table);
    assertEquals(List.of(LoadReport.HEALTH, LoadReport.GENERATE, LoadReport.DECRYPT),
        report.phases().stream().map(PhaseResult::name).toList());
    for (PhaseResult phase : report.phases()) {
      assertAll(phase.name(),
          () -> assertTrue(phase.operations() > 0, "no call completed"),
          () -> assertTrue(phase.opsPerSecond() > 0, "no rate"),
          () -> assertTrue(phase.measured().compareTo(Duration.ofMillis(1900)) >= 0, "window " + phase.measured()),
          () -> assertTrue(phase.p50Micros() > 0 && phase.p50Micros() <= phase.p99Micros()
              && phase.p99Micros() <= phase.p999Micros(), "percentiles out of order"));
    }
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    assertEquals(3, json.get("phases").size());
    assertEquals(0, json.get("errors").asLong());
    assertTrue(json.get("ratios").get("GenerateDataKey/health").asDouble() > 0);
  }
}
