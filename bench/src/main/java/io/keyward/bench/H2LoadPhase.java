package io.keyward.bench;

import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one load phase with h2load instead of the Java gRPC client: the same unary call, over TLS,
 * with the same number of calls in flight, warm-up and measured window. The keyserver runs in this
 * JVM, so the process CPU of the window is the server's; h2load's own CPU is read from the shell
 * that starts it and added to it in the "cpu us/op" column.
 *
 * <p>h2load sends one fixed request, so every call is the same (one wrapped data key, for
 * DecryptDataKey) and the response bodies are not checked here: the server's own per-code call
 * counts are, through {@link OutcomeCheck}.
 */
final class H2LoadPhase {
  /** A check of the gRPC outcome, which h2load cannot see: errors found, by code. */
  interface OutcomeCheck {
    /** Called just before h2load starts. */
    void before() throws IOException, InterruptedException;

    /** Errors of the run that ended; {@code output} is what h2load measured. */
    Map<String, Long> errors(H2LoadOutput output) throws IOException, InterruptedException;
  }

  private static final Pattern TIMES_LINE = Pattern.compile("(\\d+)m([\\d.]+)s\\s+(\\d+)m([\\d.]+)s");
  private static final long MAX_TRACKED_MICROS = TimeUnit.SECONDS.toMicros(60);

  private final String executable;
  private final int port;
  private final Path workDir;
  private final LoadOptions options;

  H2LoadPhase(String executable, int port, Path workDir, LoadOptions options) {
    this.executable = executable;
    this.port = port;
    this.workDir = workDir;
    this.options = options;
  }

  /**
   * Warms up with one h2load run, then measures with another: so that h2load's own counts, bytes
   * and CPU time all cover exactly the measured window.
   */
  PhaseResult run(String name, String grpcMethod, MessageLite request, Optional<String> bearerToken, OutcomeCheck check)
      throws IOException, InterruptedException {
    String fileStem = grpcMethod.replaceAll("[^A-Za-z0-9]", "-");
    Path requestFile = Files.write(workDir.resolve(fileStem + ".bin"), grpcFrame(request));
    Path logFile = workDir.resolve(fileStem + ".log");
    if (!options.warmup().isZero()) {
      execute(new H2LoadCommand(executable, "127.0.0.1", port, grpcMethod, requestFile, bearerToken,
          options.channels(), options.inFlight(), options.warmup(), Optional.empty()));
    }
    H2LoadCommand measured = new H2LoadCommand(executable, "127.0.0.1", port, grpcMethod, requestFile, bearerToken,
        options.channels(), options.inFlight(), options.duration(), Optional.of(logFile));
    check.before();
    CpuSnapshot start = CpuSnapshot.take(() -> -1); // SQLite: no database process
    Finished run = execute(measured);
    CpuSnapshot end = CpuSnapshot.take(() -> -1);
    H2LoadOutput output = H2LoadOutput.parse(run.stdout(), logFile, MAX_TRACKED_MICROS);
    Map<String, Long> errors = new TreeMap<>(output.transportErrors());
    check.errors(output).forEach((code, n) -> errors.merge(code, n, Long::sum));
    if (run.exitCode() != 0) {
      errors.merge("H2LOAD_EXIT_" + run.exitCode(), 1L, Long::sum);
    }
    long serverNanos = end.processSince(start);
    long driverNanos = driverCpuNanos(run.stdout());
    long combinedNanos = serverNanos < 0 || driverNanos < 0 ? -1 : serverNanos + driverNanos;
    return PhaseResult.of(name, output.latencyMicros(), options.duration(), combinedNanos,
        end.keyserverSince(start), -1, errors); // SQLite only: no database process
  }

  private record Finished(String stdout, int exitCode) {}

  private Finished execute(H2LoadCommand command) throws IOException, InterruptedException {
    // bash reports its children's CPU time with `times`; h2load's own summary has none.
    List<String> args = new ArrayList<>(List.of("bash", "-c", "\"$@\"; rc=$?; times; exit $rc", "h2load"));
    args.addAll(command.arguments());
    Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
    // Read the output while h2load runs so that a full pipe never stalls it.
    CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process));
    Duration limit = command.duration().plus(options.deadline()).plusSeconds(30);
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IOException(command + " did not finish within " + limit);
    }
    try {
      return new Finished(stdout.get(5, TimeUnit.SECONDS), process.exitValue());
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("could not read the output of " + command, e);
    }
  }

  /** A gRPC message on the wire: no compression, 4-byte big-endian length, the message. */
  static byte[] grpcFrame(MessageLite message) {
    byte[] body = message.toByteArray();
    return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(body.length).put(body).array();
  }

  /** h2load's CPU time (user + system), from the children line of bash's {@code times}; -1 if missing. */
  static long driverCpuNanos(String stdout) {
    Matcher m = TIMES_LINE.matcher(stdout);
    long nanos = -1;
    while (m.find()) { // the last line is the children's
      nanos = seconds(m.group(1), m.group(2)) + seconds(m.group(3), m.group(4));
    }
    return nanos;
  }

  private static long seconds(String minutes, String seconds) {
    return Math.round((Long.parseLong(minutes) * 60 + Double.parseDouble(seconds)) * 1e9);
  }

  private static String readAll(Process process) {
    try {
      return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
