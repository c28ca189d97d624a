package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2LoadOutputTest {
  private static final String SUMMARY = """
      finished in 2.00s, 13998.00 req/s, 533.12KB/s
      requests: 27996 total, 28003 started, 27996 done, 27993 succeeded, 3 failed, 1 errored, 0 timeout
      status codes: 27993 2xx, 0 3xx, 0 4xx, 2 5xx
      traffic: 1.03MB (1078077) total, 152.43KB (156088) headers (space savings 95.18%), 195.95KB (195951) data
      0m0.010s 0m0.002s
      0m1.250s 0m0.750s
      """;

  @TempDir Path dir;

  @Test
  void readsTheSummaryAndBuildsTheHistogramFromTheLog() throws Exception {
    Path log = Files.writeString(dir.resolve("h2load.log"), """
        1795890502436242\t200\t3711
        1795890502435287\t200\t4898
        1795890502435290\t503\t120
        1795890502435291\t503\t130
        1795890505435320\t200\t3993
        """);

    H2LoadOutput out = H2LoadOutput.parse(SUMMARY, log, 60_000_000);

    assertEquals(28003, out.started());
    assertEquals(27996, out.done());
    assertEquals(27993, out.succeeded());
    assertEquals(195951, out.dataBytes());
    assertEquals(3, out.latencyMicros().getTotalCount());
    assertEquals(4898, out.latencyMicros().getMaxValue(), 4898 / 1000.0);
    assertEquals(Map.of("HTTP_503", 2L, "H2LOAD_ERRORED", 1L), out.transportErrors());
    assertEquals(2_000_000_000L, H2LoadPhase.driverCpuNanos(SUMMARY), "children's user + system time");
  }

  @Test
  void outputWithoutSummaryIsAnError() throws Exception {
    Path log = Files.writeString(dir.resolve("empty.log"), "");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> H2LoadOutput.parse("TLS handshake failed\n", log, 60_000_000));
    assertTrue(e.getMessage().contains("TLS handshake failed"), e.getMessage());
  }

  @Test
  void serverCountsAreReadPerMethodAndCode() {
    String metrics = """
        # HELP keyward_rpc_seconds gRPC calls served
        # TYPE keyward_rpc_seconds summary
        keyward_rpc_seconds_count{code="OK",method="keyward.v1.KeyService/GenerateDataKey"} 1200
        keyward_rpc_seconds_sum{code="OK",method="keyward.v1.KeyService/GenerateDataKey"} 3.5
        keyward_rpc_seconds_count{code="PERMISSION_DENIED",method="keyward.v1.KeyService/GenerateDataKey"} 7
        keyward_rpc_seconds_count{code="OK",method="keyward.v1.KeyService/DecryptDataKey"} 99
        """;
    Map<String, Long> counts = ServerCallCounts.parse(metrics, "keyward.v1.KeyService/GenerateDataKey");
    assertEquals(Map.of("OK", 1200L, "PERMISSION_DENIED", 7L), counts);
    assertEquals(Map.of("OK", 300L), ServerCallCounts.difference(
        Map.of("OK", 900L, "PERMISSION_DENIED", 7L), counts));
  }

  @Test
  void commandKeepsTheTokenOutOfItsDescription() {
    H2LoadCommand command = new H2LoadCommand("h2load", "127.0.0.1", 7443, "keyward.v1.KeyService/GenerateDataKey",
        dir.resolve("req.bin"), Optional.of("secret-token"), 2, 64, Duration.ofSeconds(15),
        Optional.empty());
    assertTrue(command.arguments().contains("--header=authorization: Bearer secret-token"));
    assertTrue(command.arguments().contains("--max-concurrent-streams=32"));
    assertFalse(command.toString().contains("secret-token"), command.toString());
    assertThrows(IllegalArgumentException.class, () -> new H2LoadCommand("h2load", "127.0.0.1", 7443, "m",
        dir.resolve("req.bin"), Optional.empty(), 3, 64, Duration.ofSeconds(1),
        Optional.empty()));
  }
}
