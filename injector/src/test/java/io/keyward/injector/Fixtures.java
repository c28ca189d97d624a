package io.keyward.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Optional;

/** Loads the AdmissionReview fixtures and reads responses. */
final class Fixtures {
  private Fixtures() {}

  static final ObjectMapper JSON = new ObjectMapper();
  static final String TEST_CA = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUTESTONLY\n-----END CERTIFICATE-----\n";

  static byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/admission/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode review(String name) {
    try {
      return (ObjectNode) JSON.readTree(bytes(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static InjectorConfig.Builder config() {
    return InjectorConfig.builder().sidecarImage("registry.example.com/keyward/sidecar:0.1.0");
  }

  static JsonNode parse(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The response's JSON Patch, decoded; empty when the response carries none. */
  static Optional<JsonNode> patch(JsonNode review) {
    JsonNode response = review.path("response");
    if (!response.has("patch")) {
      return Optional.empty();
    }
    if (!"JSONPatch".equals(response.path("patchType").asText())) {
      throw new AssertionError("patch without patchType JSONPatch: " + response);
    }
    return Optional.of(parse(Base64.getDecoder().decode(response.path("patch").asText())));
  }
}
