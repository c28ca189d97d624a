package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sidecar runs in every pod: its runtime classpath (what the image ships) must not bring back
 * jackson-databind and its YAML and annotation modules, nor Micrometer over the Prometheus client
 * (with HdrHistogram, the protobuf exposition format and the tracer bridges), whose classes cost
 * metaspace per pod. Tests may still use them.
 */
class SidecarRuntimeClasspathTest {
  private static final List<String> BANNED = List.of(
      "jackson-databind", "jackson-dataformat-yaml", "jackson-annotations",
      "micrometer-", "HdrHistogram", "prometheus-metrics-exposition-formats",
      "prometheus-metrics-tracer");

  @Test
  void runtimeClasspathHasStreamingJacksonSnakeYamlAndThePrometheusClientOnly() throws Exception {
    Path file = Path.of("target", "runtime-classpath.txt");
    assertTrue(Files.isRegularFile(file),
        file.toAbsolutePath() + " is missing; the Maven build writes it before the tests");
    List<String> jars = Arrays.stream(Files.readString(file).strip().split(File.pathSeparator))
        .map(entry -> Path.of(entry).getFileName().toString())
        .toList();
    assertEquals(List.of(), jars.stream()
        .filter(jar -> BANNED.stream().anyMatch(jar::startsWith))
        .toList());
    assertTrue(jars.stream().anyMatch(jar -> jar.startsWith("jackson-core-")), jars.toString());
    assertTrue(jars.stream().anyMatch(jar -> jar.startsWith("snakeyaml-")), jars.toString());
    assertTrue(jars.stream().anyMatch(jar -> jar.startsWith("prometheus-metrics-core-")),
        jars.toString());
    assertTrue(jars.stream().anyMatch(
        jar -> jar.startsWith("prometheus-metrics-exposition-textformats-")), jars.toString());
  }
}
