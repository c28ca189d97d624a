package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver starts the sidecar with the options file the image and bin/keyward use. */
class SidecarOptionsTest {
  @Test
  void argumentFileCommentsAndBlankLinesAreDropped() {
    assertEquals(List.of("-Xmx32m", "-XX:+UseSerialGC", "-Da=b", "-Dc=d"),
        SidecarLoad.optionsFileArgs("""
            # heading
            -Xmx32m   # trailing comment

              -XX:+UseSerialGC
            -Da=b -Dc=d
            """));
  }

  @Test
  void driverUsesTheShippedOptionsFile() throws Exception {
    Path shipped = Path.of("..", "sidecar", "src", "main", "jvm", "sidecar.options");
    List<String> expected = SidecarLoad.optionsFileArgs(
        Files.readString(shipped, StandardCharsets.UTF_8));

    assertEquals(expected, SidecarLoad.sidecarJvmArgs());
    assertTrue(expected.stream().anyMatch(a -> a.startsWith("-Xmx")), expected::toString);
  }
}
