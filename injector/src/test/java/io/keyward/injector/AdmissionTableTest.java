package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Table-driven: each row is an AdmissionReview fixture (optionally tweaked), the injector's
 * settings, and checks on the response and on the pod after applying the returned patch.
 */
class AdmissionTableTest {
  private static final String IMAGE = "registry.example.com/keyward/sidecar:0.1.0";

  /** What came back: the response, the pod as sent, and the pod after the patch (if any). */
  record Outcome(JsonNode response, JsonNode podBefore, Optional<JsonNode> podAfter) {
    JsonNode pod() {
      return podAfter.orElseThrow(() -> new AssertionError("expected a patch, got " + response));
    }
  }

  record Case(String name, String fixture, UnaryOperator<ObjectNode> tweak, InjectorConfig config, Consumer<Outcome> check) {}

  private static Case row(String name, String fixture, Consumer<Outcome> check) {
    return new Case(name, fixture, r -> r, Fixtures.config().build(), check);
  }

  private static Case row(String name, String fixture, UnaryOperator<ObjectNode> tweak, InjectorConfig config, Consumer<Outcome> check) {
    return new Case(name, fixture, tweak, config, check);
  }

  static List<Case> cases() {
    InjectorConfig legacy = Fixtures.config().nativeSidecar(false).build();
    InjectorConfig withCa = Fixtures.config().keyserverCaPem(Optional.of(Fixtures.TEST_CA)).build();
    InjectorConfig ownNamespaceShop = Fixtures.config().ownNamespace(Optional.of("shop")).build();
    return List.of(
        row("pod without labels gets a labels map", "bare-pod.json",
            r -> { pod(r).withObjectProperty("metadata").remove("labels"); return r; }, Fixtures.config().build(), o -> {
              assertInjected(o.pod(), o.podBefore(), true);
              assertEquals(1, o.pod().at("/metadata/labels").size());
            }),
        row("default key with a path", "bare-pod.json",
            r -> annotate(r, "keyward.io/default-key", "reports/2026"), Fixtures.config().build(),
            o -> assertEquals("reports/2026", env(sidecar(o.pod()), "KEYWARD_DEFAULT_KEY"))),
        row("bare pod gets a native sidecar", "bare-pod.json", o -> {
          JsonNode pod = o.pod();
          assertInjected(pod, o.podBefore(), true);
          assertEquals(1, pod.at("/spec/initContainers").size());
          assertEquals("orders-debug", pod.at("/metadata/name").asText());
          JsonNode sidecar = sidecar(pod);
          assertFalse(hasEnv(sidecar, "KEYWARD_DEFAULT_KEY"), "no default key unless annotated");
          assertFalse(hasEnv(sidecar, "KEYWARD_KEYSERVER_CA_FILE"), "no CA file unless configured");
          assertEquals("50m", sidecar.at("/resources/requests/cpu").asText());
          assertEquals("128Mi", sidecar.at("/resources/requests/memory").asText());
          assertEquals("256Mi", sidecar.at("/resources/limits/memory").asText());
          assertTrue(sidecar.at("/resources/limits/cpu").isMissingNode(), "no CPU limit by default");
          assertEquals(0, sidecar.at("/args").size());
        }),
        row("Deployment pod from the API server: generateName, owner, annotations honoured", "deployment-pod.json", o -> {
          JsonNode pod = o.pod();
          assertInjected(pod, o.podBefore(), true);
          assertEquals("payments-6d8f9c7b5-", pod.at("/metadata/generateName").asText());
          assertTrue(pod.at("/metadata/name").isMissingNode());
          assertEquals("ReplicaSet", pod.at("/metadata/ownerReferences/0/kind").asText());
          JsonNode sidecar = sidecar(pod);
          assertEquals("shop-payments", env(sidecar, "KEYWARD_DEFAULT_KEY"));
          assertEquals("384Mi", sidecar.at("/resources/limits/memory").asText());
          JsonNode app = pod.at("/spec/containers/0");
          assertEquals("SPRING_PROFILES_ACTIVE", app.at("/env/0/name").asText(), "existing env kept first");
          assertEquals("prod", env(app, "SPRING_PROFILES_ACTIVE"));
        }),
        row("pod with init containers and volumes: sidecar first, everything kept", "init-containers-and-volumes.json", o -> {
          JsonNode pod = o.pod();
          assertInjected(pod, o.podBefore(), true);
          JsonNode init = pod.at("/spec/initContainers");
          assertEquals(List.of("keyward-sidecar", "migrate"), names(init));
          assertEquals("postgres.shop", env(init.get(1), "DB_HOST"));
          assertEquals("http://127.0.0.1:8180", env(init.get(1), "KEYWARD_SIDECAR_URL"), "init containers run after a native sidecar");
          assertEquals("http://127.0.0.1:9999", env(pod.at("/spec/containers/0"), "KEYWARD_SIDECAR_URL"), "an app's own value wins");
          assertEquals(1, count(pod.at("/spec/containers/0/env"), "KEYWARD_SIDECAR_URL"));
          assertEquals("http://127.0.0.1:8180", env(pod.at("/spec/containers/1"), "KEYWARD_SIDECAR_URL"));
          assertTrue(names(pod.at("/spec/volumes")).containsAll(List.of("kube-api-access-q9w4c", "data", "cache", "keyward-identity", "keyward-tmp", "keyward-sidecar-config")));
          assertEquals("reports-sidecar", volume(pod, "keyward-sidecar-config").at("/configMap/name").asText());
          JsonNode sidecar = sidecar(pod);
          assertEquals(List.of("--config", "/etc/keyward/sidecar/sidecar.yaml"), texts(sidecar.at("/args")));
          assertEquals("100m", sidecar.at("/resources/requests/cpu").asText());
          assertTrue(mountPaths(sidecar).contains("/etc/keyward/sidecar"));
          assertEquals("reports", pod.at("/metadata/annotations/kubectl.kubernetes.io~1default-container").asText());
        }),
        row("legacy mode: a plain container, init containers untouched", "init-containers-and-volumes.json", r -> r, legacy, o -> {
          JsonNode pod = o.pod();
          assertInjected(pod, o.podBefore(), false);
          assertEquals(List.of("reports", "log-shipper", "keyward-sidecar"), names(pod.at("/spec/containers")));
          assertTrue(sidecar(pod).at("/restartPolicy").isMissingNode());
          assertEquals(o.podBefore().at("/spec/initContainers"), pod.at("/spec/initContainers"),
              "init containers run before a plain sidecar starts, so they get no URL");
        }),
        row("legacy mode on a bare pod", "bare-pod.json", r -> r, legacy, o -> {
          JsonNode pod = o.pod();
          assertInjected(pod, o.podBefore(), false);
          assertTrue(pod.at("/spec/initContainers").isMissingNode());
        }),
        row("keyserver CA: projected from an annotation through the downward API", "bare-pod.json", r -> r, withCa, o -> {
          JsonNode pod = o.pod();
          assertInjected(pod, o.podBefore(), true);
          assertEquals(Fixtures.TEST_CA, pod.at("/metadata/annotations/keyward.io~1keyserver-ca").asText());
          JsonNode item = volume(pod, "keyward-identity").at("/projected/sources/1/downwardAPI/items/0");
          assertEquals("ca.pem", item.at("/path").asText());
          assertEquals("metadata.annotations['keyward.io/keyserver-ca']", item.at("/fieldRef/fieldPath").asText());
          assertEquals("/var/run/secrets/keyward/ca.pem", env(sidecar(pod), "KEYWARD_KEYSERVER_CA_FILE"));
        }),
        row("already injected: left alone", "already-injected.json", AdmissionTableTest::allowedUnchanged),
        row("no annotation: left alone", "no-annotation.json", AdmissionTableTest::allowedUnchanged),
        row("inject: \"false\": left alone", "bare-pod.json",
            r -> annotate(r, "keyward.io/inject", "false"), Fixtures.config().build(), AdmissionTableTest::allowedUnchanged),
        row("the injector's own pod: left alone", "deployment-pod.json",
            r -> { pod(r).withObjectProperty("metadata").withObjectProperty("labels").put("app.kubernetes.io/name", "keyward-injector"); return r; },
            Fixtures.config().build(), AdmissionTableTest::allowedUnchanged),
        row("a pod in the injector's namespace: left alone", "deployment-pod.json", r -> r, ownNamespaceShop,
            AdmissionTableTest::allowedUnchanged),
        row("a Deployment (not a pod): left alone", "deployment-pod.json",
            r -> { ((ObjectNode) r.withObjectProperty("request").get("kind")).put("group", "apps").put("kind", "Deployment"); return r; },
            Fixtures.config().build(), AdmissionTableTest::allowedUnchanged),
        row("UPDATE of a pod: left alone", "bare-pod.json",
            r -> { r.withObjectProperty("request").put("operation", "UPDATE"); return r; },
            Fixtures.config().build(), AdmissionTableTest::allowedUnchanged),
        row("inject: \"yes\" is refused, not ignored", "bare-pod.json",
            r -> annotate(r, "keyward.io/inject", "yes"), Fixtures.config().build(),
            o -> denied(o, 400, "keyward.io/inject must be \"true\" or \"false\", got \"yes\"")),
        row("bad default key", "bare-pod.json",
            r -> annotate(r, "keyward.io/default-key", "../etc/passwd"), Fixtures.config().build(),
            o -> denied(o, 400, "keyward.io/default-key must be a key name")),
        row("bad memory request", "bare-pod.json",
            r -> annotate(r, "keyward.io/sidecar-memory-request", "lots"), Fixtures.config().build(),
            o -> denied(o, 400, "keyward.io/sidecar-memory-request must be a Kubernetes quantity")),
        row("bad sidecar ConfigMap name", "bare-pod.json",
            r -> annotate(r, "keyward.io/sidecar-config", "Not_A_Name"), Fixtures.config().build(),
            o -> denied(o, 400, "keyward.io/sidecar-config must be a ConfigMap name")),
        row("a container already named keyward-sidecar without the marker", "bare-pod.json",
            r -> { ((ArrayNode) pod(r).withObjectProperty("spec").get("containers")).addObject().put("name", "keyward-sidecar").put("image", "x"); return r; },
            Fixtures.config().build(), o -> denied(o, 409, "already has a container named keyward-sidecar")),
        row("hostNetwork pod is refused", "bare-pod.json",
            r -> { pod(r).withObjectProperty("spec").put("hostNetwork", true); return r; }, Fixtures.config().build(),
            o -> denied(o, 400, "pods with hostNetwork: true cannot get a sidecar")),
        row("hostNetwork pod without the annotation passes", "no-annotation.json",
            r -> { pod(r).withObjectProperty("spec").put("hostNetwork", true); return r; }, Fixtures.config().build(),
            AdmissionTableTest::allowedUnchanged),
        row("v1beta1 review is refused with its uid", "bare-pod.json",
            r -> r.put("apiVersion", "admission.k8s.io/v1beta1"), Fixtures.config().build(),
            o -> denied(o, 400, "expected an admission.k8s.io/v1 AdmissionReview")),
        row("no uid", "bare-pod.json",
            r -> { r.withObjectProperty("request").remove("uid"); return r; }, Fixtures.config().build(),
            o -> denied(o, 400, "request has no uid")),
        row("pod without spec.containers", "bare-pod.json",
            r -> { pod(r).withObjectProperty("spec").remove("containers"); return r; }, Fixtures.config().build(),
            o -> denied(o, 400, "not a pod with spec.containers")));
  }

  @TestFactory
  Stream<DynamicTest> fixtures() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      ObjectNode review = c.tweak().apply(Fixtures.review(c.fixture()));
      JsonNode response = Fixtures.parse(new AdmissionHandler(c.config()).review(Fixtures.JSON.writeValueAsBytes(review)));
      assertEquals("admission.k8s.io/v1", response.path("apiVersion").asText());
      assertEquals("AdmissionReview", response.path("kind").asText());
      assertEquals(review.at("/request/uid").asText(""), response.at("/response/uid").asText(), "uid echoed");
      JsonNode podBefore = review.at("/request/object");
      Optional<JsonNode> after = Fixtures.patch(response).map(p -> JsonPatchApplier.apply(podBefore, p));
      c.check().accept(new Outcome(response, podBefore, after));
    }));
  }

  @TestFactory
  Stream<DynamicTest> garbage() {
    record Garbage(String name, byte[] body) {}
    StringBuilder deep = new StringBuilder();
    deep.append("[".repeat(5000));
    return Stream.of(
            new Garbage("garbage.json fixture", Fixtures.bytes("garbage.json")),
            new Garbage("empty body", new byte[0]),
            new Garbage("a JSON array", "[]".getBytes(StandardCharsets.UTF_8)),
            new Garbage("an object without request", "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}".getBytes(StandardCharsets.UTF_8)),
            new Garbage("trailing data", "{\"a\":1} {\"b\":2}".getBytes(StandardCharsets.UTF_8)),
            new Garbage("deep nesting", deep.toString().getBytes(StandardCharsets.UTF_8)))
        .map(g -> DynamicTest.dynamicTest(g.name(), () -> {
          JsonNode response = Fixtures.parse(new AdmissionHandler(Fixtures.config().build()).review(g.body()));
          assertFalse(response.at("/response/allowed").asBoolean(true));
          assertEquals(400, response.at("/response/status/code").asInt());
          assertEquals("", response.at("/response/uid").asText("missing"));
          assertTrue(response.at("/response/status/message").asText().startsWith("keyward: "));
          assertFalse(response.at("/response").has("patch"));
        }));
  }

  @org.junit.jupiter.api.Test
  void logLinesCannotBeForgedFromRequestFields() {
    assertEquals("web-? INFO forged", AdmissionHandler.printable("web-\n INFO forged"));
    assertEquals(303, AdmissionHandler.printable("x".repeat(1000)).length());
  }

  // ---- checks shared by the rows ----

  /** What every injected pod must look like, whatever the fixture. */
  static void assertInjected(JsonNode pod, JsonNode before, boolean nativeSidecar) {
    assertEquals("true", pod.at("/metadata/annotations/keyward.io~1injected").asText());
    assertEquals("true", pod.at("/metadata/labels/keyward.io~1sidecar").asText(), "label for the keyserver's NetworkPolicy");
    before.at("/metadata/labels").properties().forEach(l ->
        assertEquals(l.getValue(), pod.at("/metadata/labels").get(l.getKey()), "label " + l.getKey() + " kept"));
    JsonNode sidecar = sidecar(pod);
    List<JsonNode> all = new ArrayList<>();
    pod.at("/spec/containers").forEach(all::add);
    pod.at("/spec/initContainers").forEach(all::add);
    assertEquals(1, all.stream().filter(c -> c.path("name").asText().equals("keyward-sidecar")).count(), "exactly one sidecar");
    if (nativeSidecar) {
      assertEquals("keyward-sidecar", pod.at("/spec/initContainers/0/name").asText(), "native sidecar is the first init container");
      assertEquals("Always", sidecar.at("/restartPolicy").asText());
    } else {
      JsonNode containers = pod.at("/spec/containers");
      assertEquals("keyward-sidecar", containers.get(containers.size() - 1).path("name").asText());
    }
    assertEquals(IMAGE, sidecar.at("/image").asText());

    JsonNode security = sidecar.at("/securityContext");
    assertTrue(security.at("/runAsNonRoot").asBoolean());
    assertEquals(65532, security.at("/runAsUser").asInt());
    assertTrue(security.at("/readOnlyRootFilesystem").asBoolean());
    assertFalse(security.at("/allowPrivilegeEscalation").asBoolean(true));
    assertEquals("ALL", security.at("/capabilities/drop/0").asText());

    assertEquals(0444, volume(pod, "keyward-identity").at("/projected/defaultMode").asInt(),
        "readable by user 65532 without an fsGroup on the app's pod");
    JsonNode token = volume(pod, "keyward-identity").at("/projected/sources/0/serviceAccountToken");
    assertEquals("keyward", token.at("/audience").asText());
    assertEquals(3600, token.at("/expirationSeconds").asInt());
    assertEquals("token", token.at("/path").asText());
    JsonNode mount = mount(sidecar, "keyward-identity");
    assertNotNull(mount, "identity volume mounted in the sidecar");
    assertTrue(mount.at("/readOnly").asBoolean());
    assertEquals("/var/run/secrets/keyward", mount.at("/mountPath").asText());
    for (JsonNode c : all) {
      if (!c.path("name").asText().equals("keyward-sidecar")) {
        assertEquals(null, mount(c, "keyward-identity"), "token mounted into the sidecar only, not " + c.path("name"));
      }
    }
    assertEquals("/var/run/secrets/keyward/token", env(sidecar, "KEYWARD_TOKEN_FILE"));
    assertEquals("keyward-keyserver.keyward.svc:8443", env(sidecar, "KEYWARD_KEYSERVER"));
    assertEquals("127.0.0.1:8180", env(sidecar, "KEYWARD_HTTP_LISTEN"));
    assertEquals("0.0.0.0:8182", env(sidecar, "KEYWARD_HEALTH_LISTEN"));
    assertEquals("/healthz", sidecar.at("/startupProbe/httpGet/path").asText());
    assertEquals("keyward-health", sidecar.at("/startupProbe/httpGet/port").asText());
    assertEquals("/healthz", sidecar.at("/livenessProbe/httpGet/path").asText());
    assertTrue(sidecar.at("/readinessProbe").isMissingNode(), "a keyserver outage must not make every injected pod unready");
    assertEquals(8182, sidecar.at("/ports/0/containerPort").asInt());
    assertFalse(sidecar.at("/resources/requests/cpu").asText().isEmpty());

    // Every app container can find the sidecar, and keeps everything it had.
    JsonNode appsBefore = before.at("/spec/containers");
    for (int i = 0; i < appsBefore.size(); i++) {
      JsonNode app = pod.at("/spec/containers/" + i);
      assertEquals(1, count(app.path("env"), "KEYWARD_SIDECAR_URL"), "URL in " + app.path("name"));
      ObjectNode withoutEnv = app.deepCopy();
      ObjectNode beforeWithoutEnv = appsBefore.get(i).deepCopy();
      ArrayNode env = withoutEnv.withArray("env");
      for (int j = env.size() - 1; j >= 0; j--) {
        String n = env.get(j).path("name").asText();
        boolean added = !appsBefore.get(i).path("env").toString().contains("\"" + n + "\"");
        if (added) {
          env.remove(j);
        }
      }
      if (env.isEmpty()) {
        withoutEnv.remove("env");
      }
      assertEquals(beforeWithoutEnv, withoutEnv, "container " + app.path("name") + " changed beyond its env");
    }
    for (JsonNode v : before.at("/spec/volumes")) {
      assertEquals(v, volume(pod, v.path("name").asText()), "volume kept");
    }
    assertEquals(before.at("/spec/serviceAccountName"), pod.at("/spec/serviceAccountName"));
  }

  static void allowedUnchanged(Outcome o) {
    assertTrue(o.response().at("/response/allowed").asBoolean());
    assertTrue(o.podAfter().isEmpty(), "no patch expected, got " + o.response());
    assertFalse(o.response().at("/response").has("patchType"));
  }

  static void denied(Outcome o, int code, String messagePart) {
    JsonNode r = o.response().at("/response");
    assertFalse(r.at("/allowed").asBoolean(true));
    assertEquals(code, r.at("/status/code").asInt());
    String message = r.at("/status/message").asText();
    assertTrue(message.contains(messagePart), "message '" + message + "' should contain '" + messagePart + "'");
    assertFalse(r.has("patch"));
  }

  static ObjectNode pod(ObjectNode review) {
    return review.withObjectProperty("request").withObjectProperty("object");
  }

  static ObjectNode annotate(ObjectNode review, String name, String value) {
    pod(review).withObjectProperty("metadata").withObjectProperty("annotations").put(name, value);
    return review;
  }

  static JsonNode sidecar(JsonNode pod) {
    for (String field : List.of("initContainers", "containers")) {
      for (JsonNode c : pod.path("spec").path(field)) {
        if (c.path("name").asText().equals("keyward-sidecar")) {
          return c;
        }
      }
    }
    throw new AssertionError("no keyward-sidecar container");
  }

  static JsonNode volume(JsonNode pod, String name) {
    for (JsonNode v : pod.at("/spec/volumes")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  static JsonNode mount(JsonNode container, String volume) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("name").asText().equals(volume)) {
        return m;
      }
    }
    return null;
  }

  static List<String> mountPaths(JsonNode container) {
    List<String> out = new ArrayList<>();
    container.path("volumeMounts").forEach(m -> out.add(m.path("mountPath").asText()));
    return out;
  }

  static String env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e.path("value").asText();
      }
    }
    throw new AssertionError("no env " + name + " in " + container.path("name"));
  }

  static boolean hasEnv(JsonNode container, String name) {
    return count(container.path("env"), name) > 0;
  }

  static int count(JsonNode list, String name) {
    int n = 0;
    for (JsonNode e : list) {
      if (e.path("name").asText().equals(name)) {
        n++;
      }
    }
    return n;
  }

  static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(e -> out.add(e.path("name").asText()));
    return out;
  }

  static List<String> texts(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(e -> out.add(e.asText()));
    return out;
  }
}
