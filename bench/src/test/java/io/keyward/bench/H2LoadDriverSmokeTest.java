package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keyward.api.v1.KeyServiceGrpc;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The h2load driver end to end, short, against a real keyserver (TLS, JWT, audit): every phase
 * runs without a failed call, and a call the server refuses is counted as an error even though
 * h2load sees HTTP 200. Needs h2load (Debian's nghttp2-client), which {@code .ci/run} installs.
 */
class H2LoadDriverSmokeTest {
  @TempDir Path dir;

  @BeforeEach
  void needsH2load() {
    boolean installed = System.getenv("PATH") != null && List.of(System.getenv("PATH").split(File.pathSeparator))
        .stream().anyMatch(d -> Files.isExecutable(Path.of(d, KeyserverLoad.H2LOAD)));
    if (!installed) {
      String why = "h2load is not installed (apt-get install nghttp2-client)";
      if (System.getenv("CI") != null) {
        fail(why + "; .ci/run installs it");
      }
      assumeTrue(false, why + "; skipped");
    }
  }

  @Test
  void shortRunCompletesEveryPhaseWithoutErrors() throws Exception {
    LoadOptions options = LoadOptions.parse(List.of("--driver", "h2load", "--in-flight", "16", "--channels", "2",
        "--warmup", "1s", "--duration", "2s", "--time-limit", "2m"));

    LoadReport report = KeyserverLoad.run(options);
    System.out.print(report.table());

    assertEquals(0, report.errorCount(), report::table);
    for (PhaseResult phase : report.phases()) {
      assertTrue(phase.operations() > 0, phase.name() + ": no call completed");
      assertTrue(phase.p50Micros() > 0 && phase.p50Micros() <= phase.p99Micros(), phase.name() + ": percentiles");
      assertTrue(phase.cpuMicrosPerCall() > phase.keyserverCpuMicrosPerCall(), phase.name() + ": h2load CPU missing");
    }
  }

  @Test
  void callsTheServerRefusesAreErrorsThoughHttpSaysOk() throws Exception {
    LoadOptions options = LoadOptions.parse(List.of("--driver", "h2load", "--in-flight", "4", "--channels", "1",
        "--warmup", "0s", "--duration", "1s"));
    String method = KeyServiceGrpc.getGenerateDataKeyMethod().getFullMethodName();
    try (BenchKeyserver server = BenchKeyserver.start(dir)) {
      H2LoadPhase h2load = new H2LoadPhase(KeyserverLoad.H2LOAD, server.port(), dir, options);

      PhaseResult denied = h2load.run("denied", method, KeyserverLoad.generateRequest(),
          Optional.of(server.tokenFor("intruders", "thief")),
          GrpcOutcomes.answeredOk(new ServerCallCounts(server.metricsPort()), method));

      assertTrue(denied.errors().getOrDefault("PERMISSION_DENIED", 0L) > 0, denied.errors().toString());
      assertTrue(denied.errors().getOrDefault("NOT_ANSWERED_OK", 0L) > 0, denied.errors().toString());
      assertFalse(denied.errors().containsKey("OK"));
    }
  }
}
