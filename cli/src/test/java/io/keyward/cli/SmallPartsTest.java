package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Durations, the progress line, the policy diff and JSON field paths. */
class SmallPartsTest {
  @Test
  void durationsParseShortFormsAndIsoAndRenderTheShortestExactForm() {
    assertEquals(Duration.ofDays(90), Durations.parse("90d"));
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("PT5M"));
    assertEquals("90d", Durations.format(Duration.ofDays(90)));
    assertEquals("36h", Durations.format(Duration.ofHours(36)));
    assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
    assertEquals("0s", Durations.format(Duration.ZERO));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("10"));
    assertEquals("duration must be a number and a unit (500ms, 30s, 5m, 24h, 90d) or ISO-8601, got '10'",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("5 weeks"));
  }

  @Test
  void progressLineShowsCountRateAndEta() {
    assertEquals("rewrap [###############               ] 50/100  10/s  ETA 0:00:05",
        Progress.line(50, 100, 5_000_000_000L));
    assertEquals("rewrap 7  7/s", Progress.line(7, -1, 1_000_000_000L));
  }

  @Test
  void lineDiffListsRemovedAndAddedLines() {
    assertEquals(List.of(), LineDiff.diff("a\nb\n", "a\nb"));
    assertEquals(List.of("- b", "+ B", "+ c"), LineDiff.diff("a\nb\nd", "a\nB\nc\nd"));
    assertEquals(List.of("+ x"), LineDiff.diff("", "x"));
  }

  @Test
  void jsonPathsVisitFieldsWildcardsAndIndexes() throws Exception {
    JsonNode doc = Output.JSON.readTree("{\"a\":[{\"s\":\"1\"},{\"s\":\"2\"},{\"t\":\"3\"}],\"b\":{\"x\":\"4\",\"y\":\"5\"}}");
    assertEquals(List.of("1", "2"), JsonPaths.slots(doc, "a.*.s").stream().map(s -> s.value().asText()).toList());
    assertEquals(List.of("2"), JsonPaths.slots(doc, "$.a.1.s").stream().map(s -> s.value().asText()).toList());
    assertEquals(List.of("4", "5"), JsonPaths.slots(doc, "b.*").stream().map(s -> s.value().asText()).toList());
    assertEquals(List.of(), JsonPaths.slots(doc, "a.9.s"));
    assertEquals(List.of(), JsonPaths.slots(doc, "missing.field"));
    assertThrows(CliException.class, () -> JsonPaths.slots(doc, "a..s"));
  }
}
