package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar load driver end to end, short: a real keyserver, the sidecar in its own JVM,
 * 16 connections. Asserts every phase ran without a failed request and that start-up time and
 * memory were measured; performance is reported by the full run, never asserted here.
 */
class SidecarLoadSmokeTest {
  @TempDir Path dir;

  @Test
  void shortRunCompletesEveryPhaseWithoutErrors() throws Exception {
    Path out = dir.resolve("sidecar.json");
    LoadOptions options = LoadOptions.parse(List.of("--in-flight", "16", "--warmup", "1s",
        "--duration=2s", "--time-limit", "2m", "--out", out.toString()));

    SidecarLoad.Report report = SidecarLoad.run(options);
    report.writeJson(out);
    System.out.print(report.table());

    assertEquals(0, report.errorCount(), report::table);
    assertEquals(List.of(SidecarLoad.HEALTH, SidecarLoad.ENCRYPT, SidecarLoad.DECRYPT),
        report.phases().stream().map(PhaseResult::name).toList());
    for (PhaseResult phase : report.phases()) {
      assertAll(phase.name(),
          () -> assertTrue(phase.operations() > 0, "no request completed"),
          () -> assertTrue(phase.p50Micros() > 0 && phase.p50Micros() <= phase.p99Micros(),
              "percentiles out of order"));
    }
    assertTrue(report.startToReady().toMillis() > 0);
    assertTrue(report.peakRssKib() > 0, "no RSS read from /proc");
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    assertEquals(3, json.get("phases").size());
    assertTrue(json.get("encryptToHealthRatio").asDouble() > 0);
  }
}
