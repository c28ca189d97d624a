package io.keyward.injector;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the injector's YAML defaults file (the {@code keyward-injector} ConfigMap). Unknown keys
 * are errors, so a misspelt setting never silently keeps its default.
 */
final class ConfigFile {
  private ConfigFile() {}

  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .build();
  private static final Set<String> KEYS = Set.of(
      "sidecarImage", "imagePullPolicy", "keyserver", "keyserverCaFile", "legacySidecar",
      "tokenAudience", "tokenExpirationSeconds", "sidecarHttpPort", "sidecarGrpcPort",
      "sidecarHealthPort", "cpuRequest", "memoryRequest", "cpuLimit", "memoryLimit");

  /** Applies the file's settings to {@code b}. @throws IllegalArgumentException naming the file and key */
  static void apply(Path file, InjectorConfig.Builder b) {
    JsonNode root;
    try {
      if (Files.size(file) > 1024 * 1024) {
        throw new IllegalArgumentException(file + ": larger than 1 MiB");
      }
      root = YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getClass().getSimpleName());
    }
    if (root == null || root.isMissingNode()) {
      return;
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException(file + ": must be a YAML mapping");
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String key = e.getKey();
      JsonNode v = e.getValue();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(file + ": unknown setting '" + key + "'");
      }
      if (!v.isValueNode()) {
        throw new IllegalArgumentException(file + ": " + key + " must be a single value");
      }
      String s = v.asText();
      switch (key) {
        case "sidecarImage" -> b.sidecarImage(s);
        case "imagePullPolicy" -> b.imagePullPolicy(s);
        case "keyserver" -> b.keyserver(s);
        case "keyserverCaFile" -> b.keyserverCaPem(s.isEmpty() ? Optional.empty() : Optional.of(readCa(Path.of(s))));
        case "legacySidecar" -> b.nativeSidecar(!bool(file, key, s));
        case "tokenAudience" -> b.tokenAudience(s);
        case "tokenExpirationSeconds" -> b.tokenExpirationSeconds(number(file, key, s));
        case "sidecarHttpPort" -> b.httpPort((int) number(file, key, s));
        case "sidecarGrpcPort" -> b.grpcPort((int) number(file, key, s));
        case "sidecarHealthPort" -> b.healthPort((int) number(file, key, s));
        case "cpuRequest" -> b.cpuRequest(s);
        case "memoryRequest" -> b.memoryRequest(s);
        case "cpuLimit" -> b.cpuLimit(s.isEmpty() ? Optional.empty() : Optional.of(s));
        case "memoryLimit" -> b.memoryLimit(s.isEmpty() ? Optional.empty() : Optional.of(s));
        default -> throw new IllegalStateException("unhandled setting " + key);
      }
    }
  }

  static String readCa(Path file) {
    try {
      if (Files.size(file) > 64 * 1024) {
        throw new IllegalArgumentException("keyserverCaFile must be at most 64 KiB, got " + Files.size(file) + " bytes (" + file + ")");
      }
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("keyserverCaFile " + file + ": cannot read: " + e.getClass().getSimpleName());
    }
  }

  private static boolean bool(Path file, String key, String s) {
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException(file + ": " + key + " must be true or false, got '" + s + "'");
  }

  private static long number(Path file, String key, String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(file + ": " + key + " must be a whole number, got '" + s + "'");
    }
  }
}
