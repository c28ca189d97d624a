package io.keyward.sidecar.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** deploy/kms/: the kube-apiserver EncryptionConfiguration and the plugin's static pod agree. */
class DeployManifestsTest {
  private static final Path DEPLOY = Path.of("..", "deploy", "kms");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static JsonNode config;
  private static JsonNode pod;

  @BeforeAll
  static void load() throws Exception {
    config = YAML.readTree(Files.readString(DEPLOY.resolve("encryption-config.yaml")));
    pod = YAML.readTree(Files.readString(DEPLOY.resolve("kms-plugin-pod.yaml")));
  }

  @Test
  void encryptionConfigurationUsesKmsV2ThenIdentity() {
    assertEquals("apiserver.config.k8s.io/v1", config.path("apiVersion").asText());
    assertEquals("EncryptionConfiguration", config.path("kind").asText());
    JsonNode rule = config.path("resources").path(0);
    assertEquals("secrets", rule.path("resources").path(0).asText());
    JsonNode kms = rule.path("providers").path(0).path("kms");
    assertEquals("v2", kms.path("apiVersion").asText());
    assertEquals("keyward", kms.path("name").asText());
    assertTrue(kms.path("endpoint").asText().startsWith("unix:///"), kms.toString());
    assertTrue(kms.path("timeout").asText().matches("\\d+s"), kms.toString());
    assertTrue(kms.path("cachesize").isMissingNode(), "KMS v2 rejects cachesize");
    JsonNode identity = rule.path("providers").path(1).path("identity");
    assertTrue(identity.isObject() && identity.isEmpty(), "identity: {} fallback second");
  }

  @Test
  void podServesTheSocketTheApiserverIsConfiguredFor() {
    assertEquals("v1", pod.path("apiVersion").asText());
    assertEquals("Pod", pod.path("kind").asText());
    assertEquals("kube-system", pod.path("metadata").path("namespace").asText());
    JsonNode container = pod.path("spec").path("containers").path(0);
    // The sidecar image built by -Pimages carries the plugin; the command picks its main class.
    assertEquals("ghcr.io/keyward/sidecar:0.1.0", container.path("image").asText());
    List<String> entry = new ArrayList<>();
    container.path("command").forEach(n -> entry.add(n.asText()));
    assertEquals("java", entry.get(0));
    assertEquals(KmsPluginMain.class.getName(), entry.get(entry.size() - 1));
    assertTrue(entry.contains("-XX:MaxRAMPercentage=75"), entry.toString());
    List<String> command = new ArrayList<>(List.of("java", "main"));
    container.path("args").forEach(n -> command.add(n.asText()));

    String endpoint = config.path("resources").path(0).path("providers").path(0).path("kms").path("endpoint").asText();
    Path socket = Path.of(flag(command, "--socket"));
    assertEquals(endpoint, "unix://" + socket);

    // The socket directory is a hostPath mounted at the same path, so kube-apiserver sees it.
    String socketVolume = volumeMountedAt(container, socket.getParent().toString());
    assertEquals(socket.getParent().toString(),
        volume(socketVolume).path("hostPath").path("path").asText());
    // CA and token are mounted read-only where the command reads them.
    for (String f : List.of("--ca-cert", "--token-file")) {
      Path file = Path.of(flag(command, f));
      JsonNode mount = mountAt(container, file.getParent().toString());
      assertTrue(mount.path("readOnly").asBoolean(), f + " mount must be read-only");
    }
    // The command line is one the plugin accepts.
    KmsPluginSettings settings = KmsPluginMain.parse(command.subList(2, command.size()), Map.of(), System.out);
    assertEquals(socket, settings.socket());
  }

  @Test
  void podIsLockedDown() {
    JsonNode spec = pod.path("spec");
    JsonNode container = spec.path("containers").path(0);
    assertTrue(spec.path("securityContext").path("runAsNonRoot").asBoolean());
    assertTrue(spec.path("securityContext").path("runAsUser").asInt() > 0);
    assertTrue(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
    assertFalse(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true));
    assertEquals("ALL", container.path("securityContext").path("capabilities").path("drop").path(0).asText());
    assertFalse(container.path("resources").path("requests").path("memory").asText().isEmpty());
    assertFalse(container.path("resources").path("limits").path("memory").asText().isEmpty());
    assertFalse(spec.path("automountServiceAccountToken").asBoolean(true));
    assertTrue(spec.path("hostNetwork").asBoolean(), "keyserver must be reachable without the cluster's apiserver");
  }

  private static String flag(List<String> command, String name) {
    int i = command.indexOf(name);
    assertTrue(i > 0 && i + 1 < command.size(), name + " missing from " + command);
    return command.get(i + 1);
  }

  private static JsonNode mountAt(JsonNode container, String path) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("mountPath").asText().equals(path)) {
        return m;
      }
    }
    throw new AssertionError("no volume mounted at " + path);
  }

  private static String volumeMountedAt(JsonNode container, String path) {
    return mountAt(container, path).path("name").asText();
  }

  private static JsonNode volume(String name) {
    for (JsonNode v : pod.path("spec").path("volumes")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }
}
