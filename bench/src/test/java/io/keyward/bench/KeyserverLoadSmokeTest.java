package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.keyserver.store.PostgresDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load driver end to end, short: real keyservers over TLS with real JWTs, on SQLite and as
 * two replicas on a fresh PostgreSQL database. Asserts that every phase ran without a single
 * failed call; performance is reported by the full run, never asserted here.
 */
class KeyserverLoadSmokeTest {
  @TempDir Path dir;

  @Test
  void shortSqliteRunCompletesEveryPhaseWithoutErrors() throws Exception {
    JsonNode json = runShort();
    assertEquals("sqlite", json.get("settings").get("store").asText());
    // SQLite works inside the keyserver's threads: nothing to measure outside the process.
    assertEquals(-1, json.get("phases").get(1).get("databaseCpuMicrosPerCall").asDouble());
  }

  @Test
  void shortRunOnTwoPostgresReplicasCompletesEveryPhaseWithoutErrors() throws Exception {
    PostgresDatabases.requireReachable(); // skipped without PostgreSQL, failed under CI
    JsonNode json = runShort("--store", "postgresql", "--replicas", "2");
    assertEquals("postgresql", json.get("settings").get("store").asText());
    assertEquals(2, json.get("settings").get("replicas").asInt());
    // The backends of the run's database were found and read (the server is on this machine).
    assertTrue(json.get("phases").get(1).get("databaseCpuMicrosPerCall").asDouble() >= 0);
  }

  /** Runs 1 s warm-up + 2 s per phase, asserts a clean run and returns its JSON results. */
  private JsonNode runShort(String... storeArgs) throws Exception {
    Path out = dir.resolve("results.json");
    List<String> args = new ArrayList<>(List.of(
        "--in-flight", "16", "--warmup", "1s", "--duration=2s", "--channels", "2", "--time-limit", "2m",
        "--out", out.toString()));
    args.addAll(List.of(storeArgs));
    LoadReport report = KeyserverLoad.run(LoadOptions.parse(args));
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
    return json;
  }
}
