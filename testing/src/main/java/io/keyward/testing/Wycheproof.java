package io.keyward.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Loads Project Wycheproof vector files from {@code ../shared/testdata/wycheproof} beside the
 * repository (or the folder named by the {@code keyward.testdata} system property).
 */
public final class Wycheproof {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Wycheproof() {}

  /** Parses e.g. {@code aes_gcm_test.json}. Fails the test loudly when the file is missing. */
  public static JsonNode load(String fileName) {
    Path file = testdataDir().resolve("wycheproof").resolve(fileName);
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Wycheproof vectors " + file, e);
    }
  }

  static Path testdataDir() {
    String configured = System.getProperty("keyward.testdata");
    if (configured != null && Files.isDirectory(Paths.get(configured))) {
      return Paths.get(configured);
    }
    // Walk up from the working directory until a sibling "shared/testdata" appears.
    for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolveSibling("shared").resolve("testdata");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no ../shared/testdata found above " + Paths.get("").toAbsolutePath());
  }
}
