package io.keyward.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Calls the keyserver has answered, by gRPC status code, for one method: read from its Prometheus
 * {@code /metrics} ({@code keyward_rpc_seconds_count}). A load driver that cannot see gRPC status
 * codes (h2load) is checked against these: every call it made must have been answered OK.
 */
final class ServerCallCounts {
  private static final Pattern COUNT_LINE =
      Pattern.compile("^keyward_rpc_seconds_count\\{([^}]*)\\}\\s+(\\S+)", Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI metrics;

  ServerCallCounts(int metricsPort) {
    this.metrics = URI.create("http://127.0.0.1:" + metricsPort + "/metrics");
  }

  /** Counts by status code name for {@code grpcMethod} (e.g. {@code keyward.v1.KeyService/GenerateDataKey}). */
  Map<String, Long> byCode(String grpcMethod) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET " + metrics + " answered " + response.statusCode());
    }
    return parse(response.body(), grpcMethod);
  }

  static Map<String, Long> parse(String prometheusText, String grpcMethod) {
    Map<String, Long> counts = new TreeMap<>();
    Matcher line = COUNT_LINE.matcher(prometheusText);
    while (line.find()) {
      Map<String, String> labels = new TreeMap<>();
      Matcher label = LABEL.matcher(line.group(1));
      while (label.find()) {
        labels.put(label.group(1), label.group(2));
      }
      if (grpcMethod.equals(labels.get("method")) && labels.containsKey("code")) {
        counts.merge(labels.get("code"), (long) Double.parseDouble(line.group(2)), Long::sum);
      }
    }
    return counts;
  }

  /** {@code after - before}, per code, leaving out codes that did not change. */
  static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> diff = new TreeMap<>();
    after.forEach((code, n) -> {
      long d = n - before.getOrDefault(code, 0L);
      if (d != 0) {
        diff.put(code, d);
      }
    });
    return diff;
  }
}
