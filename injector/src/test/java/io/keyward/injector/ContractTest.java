package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.keyserver.policy.Policy;
import io.keyward.sidecar.SidecarConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the injector and the manifests hand to the other parts is what those parts accept: the
 * injected environment configures a real sidecar, and the keyserver ConfigMap loads through the
 * keyserver's own configuration and policy parsers.
 */
class ContractTest {
  @TempDir Path dir;

  @Test
  void injectedEnvironmentConfiguresTheSidecarTheAppIsPointedAt() throws Exception {
    for (boolean nativeSidecar : List.of(true, false)) {
      // Values unlike the sidecar's defaults, so that a setting it does not read cannot pass by chance.
      InjectorConfig injector = Fixtures.config().nativeSidecar(nativeSidecar)
          .keyserver("keyserver.contract.test:9443").keyserverCaPem(Optional.of(Fixtures.TEST_CA))
          .httpPort(18080).grpcPort(18081).healthPort(18082).build();
      com.fasterxml.jackson.databind.node.ObjectNode request =
          AdmissionTableTest.annotate(Fixtures.review("bare-pod.json"), Annotations.DEFAULT_KEY, "orders");
      JsonNode review = Fixtures.parse(new AdmissionHandler(injector).review(Fixtures.JSON.writeValueAsBytes(request)));
      JsonNode pod = JsonPatchApplier.apply(AdmissionTableTest.pod(request), Fixtures.patch(review).orElseThrow());
      JsonNode sidecar = containers(pod)
          .filter(c -> c.path("name").asText().equals("keyward-sidecar")).findFirst().orElseThrow();
      JsonNode app = containers(pod)
          .filter(c -> !c.path("name").asText().equals("keyward-sidecar")).findFirst().orElseThrow();

      // The CA arrives in the projected volume; the sidecar checks it is readable, so stage it here.
      Map<String, String> env = env(sidecar);
      String caInPod = env.get("KEYWARD_KEYSERVER_CA_FILE");
      Path staged = dir.resolve(nativeSidecar + caInPod);
      Files.createDirectories(staged.getParent());
      Files.writeString(staged, Fixtures.TEST_CA);
      env.put("KEYWARD_KEYSERVER_CA_FILE", staged.toString());
      SidecarConfig config = SidecarConfig.load(Optional.empty(), env, List.of());
      assertEquals("keyserver.contract.test:9443", config.keyserverAddress());
      assertEquals(18080, config.httpListen().port());
      assertEquals(18081, config.grpcListen().port());
      assertEquals(18082, config.healthListen().orElseThrow().port());
      assertEquals(Optional.of("orders"), config.defaultKey());
      assertEquals(Optional.of(staged), config.keyserverCaFile());
      assertTrue(sidecar.path("volumeMounts").findValuesAsText("mountPath").stream().anyMatch(caInPod::startsWith),
          caInPod + " is not under a mount of the sidecar");
      URI sidecarUrl = URI.create(env(app).get("KEYWARD_SIDECAR_URL"));
      assertEquals(config.httpListen().port(), sidecarUrl.getPort(), "the app is pointed at the sidecar's port");
      assertEquals("127.0.0.1", sidecarUrl.getHost());
      // The token the sidecar reads is the projected one the injector mounts.
      String tokenFile = config.tokenFile().toString();
      assertTrue(sidecar.path("volumeMounts").findValuesAsText("mountPath").stream().anyMatch(tokenFile::startsWith),
          tokenFile + " is not under a mount of the sidecar");
    }
  }

  @Test
  void keyserverConfigMapLoadsThroughTheKeyserversParsers() throws Exception {
    JsonNode data = Manifests.yamlFiles(Manifests.deployDir().resolve("base/keyserver")).stream()
        .flatMap(f -> Manifests.read(f).stream())
        .map(Manifests.Doc::node)
        .filter(n -> n.path("kind").asText().equals("ConfigMap") && n.path("data").has("keyward.yaml"))
        .findFirst().orElseThrow().path("data");
    Path config = Files.writeString(dir.resolve("keyward.yaml"), data.path("keyward.yaml").asText());
    ServerConfig server = ServerConfig.load(Optional.of(config), Map.of(), List.of());
    assertEquals(8443, server.listen().port());
    assertTrue(server.store().startsWith("postgresql://"), server.store());
    Policy policy = Policy.parse(data.path("policy.yaml").asText());
    assertTrue(policy.ruleCount() > 0);
  }

  private static Stream<JsonNode> containers(JsonNode pod) {
    JsonNode spec = pod.path("spec");
    return Stream.concat(stream(spec.path("initContainers")), stream(spec.path("containers")));
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false);
  }

  private static Map<String, String> env(JsonNode container) {
    Map<String, String> env = new HashMap<>();
    container.path("env").forEach(e -> {
      if (e.has("value")) {
        env.put(e.path("name").asText(), e.path("value").asText());
      }
    });
    return env;
  }
}
