package io.keyward.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * What one h2load run reported about its measured window: the summary it prints, and the
 * per-request log ({@code --log-file}: start time in µs, HTTP status, µs to the end of the
 * response), from which the latency histogram is built.
 *
 * <p>h2load judges a request by its HTTP status alone. A gRPC call that fails still answers
 * HTTP 200 and carries its code in the trailers, which h2load does not read: the gRPC outcome
 * has to be checked on the server ({@link ServerCallCounts}).
 */
record H2LoadOutput(
    long started,
    long done,
    long succeeded,
    long failed,
    long errored,
    long timedOut,
    long dataBytes,
    Histogram latencyMicros,
    Map<String, Long> httpStatusErrors) {

  private static final Pattern REQUESTS = Pattern.compile(
      "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
  private static final Pattern TRAFFIC = Pattern.compile("traffic: .*, [^,]*\\((\\d+)\\) data");

  /**
   * Parses h2load's standard output and its log file.
   *
   * @throws IllegalArgumentException when the output lacks the summary (h2load failed early)
   */
  static H2LoadOutput parse(String stdout, Path logFile, long maxTrackedMicros) throws IOException {
    Matcher requests = REQUESTS.matcher(stdout);
    Matcher traffic = TRAFFIC.matcher(stdout);
    if (!requests.find() || !traffic.find()) {
      throw new IllegalArgumentException("h2load printed no summary; its output ends with: " + tail(stdout));
    }
    Histogram latency = new Histogram(maxTrackedMicros, 3);
    Map<String, Long> statusErrors = new TreeMap<>();
    try (BufferedReader lines = Files.newBufferedReader(logFile, StandardCharsets.US_ASCII)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        String[] columns = line.split("\t");
        if (columns.length < 3) {
          continue;
        }
        if (columns[1].equals("200")) {
          latency.recordValue(Math.min(Long.parseLong(columns[2]), maxTrackedMicros));
        } else {
          statusErrors.merge("HTTP_" + columns[1], 1L, Long::sum);
        }
      }
    }
    return new H2LoadOutput(number(requests, 2), number(requests, 3), number(requests, 4), number(requests, 5),
        number(requests, 6), number(requests, 7), number(traffic, 1), latency, statusErrors);
  }

  /** Requests h2load itself counts as failed: connection errors, timeouts, non-2xx answers. */
  Map<String, Long> transportErrors() {
    Map<String, Long> errors = new TreeMap<>(httpStatusErrors);
    if (errored > 0) {
      errors.put("H2LOAD_ERRORED", errored);
    }
    if (timedOut > 0) {
      errors.put("H2LOAD_TIMEOUT", timedOut);
    }
    long unexplained = failed - errored - timedOut - httpStatusErrors.values().stream().mapToLong(Long::longValue).sum();
    if (unexplained > 0) {
      errors.put("H2LOAD_FAILED", unexplained);
    }
    return errors;
  }

  private static long number(Matcher m, int group) {
    return Long.parseLong(m.group(group));
  }

  private static String tail(String text) {
    String trimmed = text.strip();
    return trimmed.length() <= 400 ? trimmed : "…" + trimmed.substring(trimmed.length() - 400);
  }
}
