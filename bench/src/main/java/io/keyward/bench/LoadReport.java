package io.keyward.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The results of a {@link KeyserverLoad} run: one {@link PhaseResult} per RPC, the ratios to the
 * health check, and whether the targets were met. Targets are reported, never enforced.
 */
public final class LoadReport {
  public static final String HEALTH = "Health/Check";
  public static final String GENERATE = "GenerateDataKey";
  public static final String DECRYPT = "DecryptDataKey";
  /** GenerateDataKey must reach at least this share of the health-check rate. */
  public static final double TARGET_RATIO = 0.5;
  /** GenerateDataKey must reach at least this rate. */
  public static final double TARGET_OPS_PER_SECOND = 20_000;

  private final LoadOptions options;
  private final List<PhaseResult> phases;
  private final Instant finishedAt;

  LoadReport(LoadOptions options, List<PhaseResult> phases, Instant finishedAt) {
    this.options = options;
    this.phases = List.copyOf(phases);
    this.finishedAt = finishedAt;
  }

  public List<PhaseResult> phases() {
    return phases;
  }

  public PhaseResult phase(String name) {
    return phases.stream().filter(p -> p.name().equals(name)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("no phase " + name));
  }

  /** ops/s of {@code name} divided by ops/s of the health check; 0 when the health check did nothing. */
  public double ratioToHealth(String name) {
    double health = phase(HEALTH).opsPerSecond();
    return health > 0 ? phase(name).opsPerSecond() / health : 0;
  }

  /** Failed calls over all phases; any is a failed run. */
  public long errorCount() {
    return phases.stream().mapToLong(PhaseResult::errorCount).sum();
  }

  public boolean ratioTargetMet() {
    return ratioToHealth(GENERATE) >= TARGET_RATIO;
  }

  public boolean rateTargetMet() {
    return phase(GENERATE).opsPerSecond() >= TARGET_OPS_PER_SECOND;
  }

  /** A plain-text table for the console and the README. */
  public String table() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "keyserver load: %s, %d cores, Java %s%n", options,
        Runtime.getRuntime().availableProcessors(), Runtime.version()));
    s.append(String.format(Locale.ROOT, "%-16s %10s %10s %9s %9s %9s %9s %10s %10s %9s %7s%n",
        "phase", "calls", "ops/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "cpu us/op", "srv us/op", "db us/op",
        "errors"));
    for (PhaseResult p : phases) {
      s.append(String.format(Locale.ROOT, "%-16s %10d %10.0f %9.3f %9.3f %9.3f %9.3f %10.1f %10.1f %9s %7d%n",
          p.name(), p.operations(), p.opsPerSecond(), ms(p.p50Micros()), ms(p.p99Micros()),
          ms(p.p999Micros()), ms(p.maxMicros()), p.cpuMicrosPerCall(), p.keyserverCpuMicrosPerCall(),
          p.databaseCpuMicrosPerCall() < 0 ? "-" : String.format(Locale.ROOT, "%.1f", p.databaseCpuMicrosPerCall()),
          p.errorCount()));
    }
    s.append(String.format(Locale.ROOT, "GenerateDataKey / health = %.3f  (target >= %.2f: %s)%n",
        ratioToHealth(GENERATE), TARGET_RATIO, ratioTargetMet() ? "met" : "NOT met"));
    s.append(String.format(Locale.ROOT, "DecryptDataKey / health  = %.3f%n", ratioToHealth(DECRYPT)));
    s.append(String.format(Locale.ROOT, "GenerateDataKey ops/s    = %.0f  (target >= %.0f: %s)%n",
        phase(GENERATE).opsPerSecond(), TARGET_OPS_PER_SECOND, rateTargetMet() ? "met" : "NOT met"));
    s.append("cpu us/op: whole process (driver + keyserver + GC/JIT); srv us/op: keyserver threads only;"
        + " db us/op: PostgreSQL backends (outside the process)\n");
    for (PhaseResult p : phases) {
      if (p.errorCount() > 0) {
        s.append("errors in ").append(p.name()).append(": ").append(p.errors()).append('\n');
      }
    }
    return s.toString();
  }

  /** Writes the report as JSON (latencies in microseconds). */
  public void writeJson(Path file) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("finishedAt", finishedAt.toString());
    root.put("cores", Runtime.getRuntime().availableProcessors());
    root.put("java", Runtime.version().toString());
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("store", options.store().toString());
    settings.put("replicas", options.replicas());
    settings.put("inFlight", options.inFlight());
    settings.put("warmupSeconds", options.warmup().toMillis() / 1000.0);
    settings.put("durationSeconds", options.duration().toMillis() / 1000.0);
    settings.put("channels", options.channels());
    settings.put("deadlineSeconds", options.deadline().toMillis() / 1000.0);
    root.put("settings", settings);
    List<Map<String, Object>> list = phases.stream().map(LoadReport::json).toList();
    root.put("phases", list);
    Map<String, Object> ratios = new LinkedHashMap<>();
    ratios.put("GenerateDataKey/health", ratioToHealth(GENERATE));
    ratios.put("DecryptDataKey/health", ratioToHealth(DECRYPT));
    root.put("ratios", ratios);
    Map<String, Object> targets = new LinkedHashMap<>();
    targets.put("ratio", TARGET_RATIO);
    targets.put("ratioMet", ratioTargetMet());
    targets.put("opsPerSecond", TARGET_OPS_PER_SECOND);
    targets.put("opsPerSecondMet", rateTargetMet());
    root.put("targets", targets);
    root.put("errors", errorCount());
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
  }

  private static Map<String, Object> json(PhaseResult p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("operations", p.operations());
    m.put("measuredSeconds", p.measured().toNanos() / 1e9);
    m.put("opsPerSecond", p.opsPerSecond());
    m.put("p50Micros", p.p50Micros());
    m.put("p99Micros", p.p99Micros());
    m.put("p999Micros", p.p999Micros());
    m.put("maxMicros", p.maxMicros());
    m.put("meanMicros", p.meanMicros());
    m.put("cpuMicrosPerCall", p.cpuMicrosPerCall());
    m.put("keyserverCpuMicrosPerCall", p.keyserverCpuMicrosPerCall());
    m.put("databaseCpuMicrosPerCall", p.databaseCpuMicrosPerCall());
    m.put("errors", p.errors());
    return m;
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }
}
