package io.keyward.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The injection pipeline, free of I/O: {@link #decide} (should this pod get a sidecar?),
 * {@link #resolve} (defaults plus the pod's annotations), {@link #patch} (the RFC 6902 patch).
 * Each step reads the pod as the API server sent it and never modifies it.
 */
final class Injection {
  private Injection() {}

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  /** Key names as the keyserver accepts them (see docs/policy.md). */
  private static final Pattern KEY_NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  /** Label the injector's own pods carry (deploy/base/injector). */
  static final String OWN_APP_LABEL = "app.kubernetes.io/name";
  static final String OWN_APP_VALUE = "keyward-injector";

  /** Outcome of step 1. */
  enum Decision {
    INJECT,
    NOT_REQUESTED,
    ALREADY_INJECTED,
    OWN_POD
  }

  /**
   * Step 1. A pod is injected when it asks for it, has no marker and is not the injector's own.
   *
   * @throws Rejection when {@code keyward.io/inject} has a value other than "true"/"false"
   */
  static Decision decide(JsonNode pod, String namespace, InjectorConfig config) throws Rejection {
    JsonNode annotations = pod.path("metadata").path("annotations");
    JsonNode inject = annotations.path(Annotations.INJECT);
    if (inject.isMissingNode() || inject.isNull()) {
      return Decision.NOT_REQUESTED;
    }
    String value = inject.asText();
    if (value.equals("false")) {
      return Decision.NOT_REQUESTED;
    }
    if (!value.equals("true")) {
      throw new Rejection(400, Annotations.INJECT + " must be \"true\" or \"false\", got " + Rejection.quote(value));
    }
    if (annotations.has(Annotations.INJECTED)) {
      return Decision.ALREADY_INJECTED;
    }
    if (OWN_APP_VALUE.equals(pod.path("metadata").path("labels").path(OWN_APP_LABEL).asText(null))
        || config.ownNamespace().map(ns -> ns.equals(namespace)).orElse(false)) {
      return Decision.OWN_POD;
    }
    return Decision.INJECT;
  }

  /**
   * Step 2: the injector's defaults, overridden by the pod's {@code keyward.io/*} annotations.
   *
   * @throws Rejection naming the first annotation with a bad value
   */
  static PodSettings resolve(JsonNode pod, InjectorConfig config) throws Rejection {
    // In the node's network namespace the sidecar's loopback API would be every host process's,
    // and two such pods on a node would fight over its ports.
    if (pod.path("spec").path("hostNetwork").asBoolean(false)) {
      throw new Rejection(400, "pods with hostNetwork: true cannot get a sidecar (its local API would listen on the node);"
          + " remove " + Annotations.INJECT + " or hostNetwork");
    }
    JsonNode annotations = pod.path("metadata").path("annotations");
    Optional<String> defaultKey = text(annotations, Annotations.DEFAULT_KEY);
    if (defaultKey.isPresent() && !KEY_NAME.matcher(defaultKey.get()).matches()) {
      throw new Rejection(400, Annotations.DEFAULT_KEY + " must be a key name (letters, digits, '.', '_', '-', '/'; at most 128), got "
          + Rejection.quote(defaultKey.get()));
    }
    Optional<String> configMap = text(annotations, Annotations.SIDECAR_CONFIG);
    if (configMap.isPresent() && (configMap.get().length() > 253 || !DNS_SUBDOMAIN.matcher(configMap.get()).matches())) {
      throw new Rejection(400, Annotations.SIDECAR_CONFIG + " must be a ConfigMap name, got " + Rejection.quote(configMap.get()));
    }
    return new PodSettings(
        defaultKey,
        configMap,
        quantity(annotations, Annotations.CPU_REQUEST).orElse(config.cpuRequest()),
        quantity(annotations, Annotations.MEMORY_REQUEST).orElse(config.memoryRequest()),
        quantity(annotations, Annotations.CPU_LIMIT).or(config::cpuLimit),
        quantity(annotations, Annotations.MEMORY_LIMIT).or(config::memoryLimit));
  }

  /**
   * Step 3: the JSON Patch that adds the sidecar, its volumes, the marker and the app containers'
   * {@code KEYWARD_SIDECAR_URL}. Only {@code add} operations, each valid against the pod as sent.
   *
   * @throws Rejection when the pod already uses a name the injector needs
   */
  static ArrayNode patch(JsonNode pod, PodSettings settings, InjectorConfig config) throws Rejection {
    JsonNode spec = pod.path("spec");
    checkNameFree(spec, "containers", SidecarContract.CONTAINER_NAME, "container");
    checkNameFree(spec, "initContainers", SidecarContract.CONTAINER_NAME, "container");
    checkNameFree(spec, "volumes", SidecarContract.IDENTITY_VOLUME, "volume");
    checkNameFree(spec, "volumes", SidecarContract.TMP_VOLUME, "volume");
    checkNameFree(spec, "volumes", SidecarContract.CONFIG_VOLUME, "volume");

    ArrayNode ops = JSON.arrayNode();
    String annotationsPath = "/metadata/annotations";
    addOp(ops, annotationsPath + "/" + escape(Annotations.INJECTED), JSON.textNode("true"));
    if (pod.path("metadata").path("labels").isObject()) {
      addOp(ops, "/metadata/labels/" + escape(Annotations.SIDECAR_LABEL), JSON.textNode("true"));
    } else {
      addOp(ops, "/metadata/labels", JSON.objectNode().put(Annotations.SIDECAR_LABEL, "true"));
    }
    config.keyserverCaPem().ifPresent(pem ->
        addOp(ops, annotationsPath + "/" + escape(Annotations.KEYSERVER_CA), JSON.textNode(pem)));

    appendAll(ops, spec, "volumes", volumes(settings, config));

    ObjectNode sidecar = sidecarContainer(settings, config);
    if (config.nativeSidecar()) {
      // First, so that the pod's own init containers can already use it.
      sidecar.put("restartPolicy", "Always");
      if (spec.path("initContainers").isArray() && spec.path("initContainers").size() > 0) {
        addOp(ops, "/spec/initContainers/0", sidecar);
      } else {
        addOp(ops, "/spec/initContainers", JSON.arrayNode().add(sidecar));
      }
      addSidecarUrl(ops, spec, "initContainers", config);
    } else {
      addOp(ops, "/spec/containers/-", sidecar);
    }
    addSidecarUrl(ops, spec, "containers", config);
    return ops;
  }

  private static ArrayNode volumes(PodSettings settings, InjectorConfig config) {
    ArrayNode volumes = JSON.arrayNode();
    ObjectNode token = JSON.objectNode()
        .put("audience", config.tokenAudience())
        .put("expirationSeconds", config.tokenExpirationSeconds())
        .put("path", SidecarContract.TOKEN_PATH);
    ArrayNode sources = JSON.arrayNode().add(JSON.objectNode().set("serviceAccountToken", token));
    if (config.keyserverCaPem().isPresent()) {
      ObjectNode item = JSON.objectNode().put("path", SidecarContract.CA_PATH);
      item.putObject("fieldRef").put("fieldPath", "metadata.annotations['" + Annotations.KEYSERVER_CA + "']");
      sources.add(JSON.objectNode().set("downwardAPI", JSON.objectNode().set("items", JSON.arrayNode().add(item))));
    }
    ObjectNode identity = JSON.objectNode().put("name", SidecarContract.IDENTITY_VOLUME);
    // World-readable inside the mount: the app's pod may set no fsGroup, and the file must be
    // readable by the sidecar's user 65532. Only the sidecar mounts this volume.
    identity.putObject("projected").put("defaultMode", 0444).set("sources", sources);
    volumes.add(identity);
    ObjectNode tmp = JSON.objectNode().put("name", SidecarContract.TMP_VOLUME);
    tmp.putObject("emptyDir").put("medium", "Memory").put("sizeLimit", "16Mi");
    volumes.add(tmp);
    settings.sidecarConfigMap().ifPresent(name -> {
      ObjectNode cm = JSON.objectNode().put("name", SidecarContract.CONFIG_VOLUME);
      cm.putObject("configMap").put("name", name).put("defaultMode", 0444);
      volumes.add(cm);
    });
    return volumes;
  }

  private static ObjectNode sidecarContainer(PodSettings settings, InjectorConfig config) {
    ObjectNode c = JSON.objectNode()
        .put("name", SidecarContract.CONTAINER_NAME)
        .put("image", config.sidecarImage())
        .put("imagePullPolicy", config.imagePullPolicy());
    ArrayNode args = c.putArray("args");
    settings.sidecarConfigMap().ifPresent(name ->
        args.add("--config").add(SidecarContract.CONFIG_DIR + "/" + SidecarContract.CONFIG_KEY));

    ArrayNode env = c.putArray("env");
    env(env, SidecarContract.ENV_KEYSERVER, config.keyserver());
    if (config.keyserverCaPem().isPresent()) {
      env(env, SidecarContract.ENV_KEYSERVER_CA_FILE, SidecarContract.IDENTITY_DIR + "/" + SidecarContract.CA_PATH);
    }
    env(env, SidecarContract.ENV_TOKEN_FILE, SidecarContract.IDENTITY_DIR + "/" + SidecarContract.TOKEN_PATH);
    env(env, SidecarContract.ENV_HTTP_LISTEN, "127.0.0.1:" + config.httpPort());
    env(env, SidecarContract.ENV_GRPC_LISTEN, "127.0.0.1:" + config.grpcPort());
    // Probes come from the kubelet on the pod IP, so only health/metrics listen beyond loopback.
    env(env, SidecarContract.ENV_HEALTH_LISTEN, "0.0.0.0:" + config.healthPort());
    settings.defaultKey().ifPresent(k -> env(env, SidecarContract.ENV_DEFAULT_KEY, k));

    c.putArray("ports").addObject()
        .put("name", SidecarContract.HEALTH_PORT_NAME)
        .put("containerPort", config.healthPort())
        .put("protocol", "TCP");
    // Native sidecars: the app starts only after the startup probe passes, i.e. once the local
    // API listens. No readiness probe: the sidecar's /readyz fails while the keyserver is
    // unreachable, and a sidecar's readiness is the pod's, so a keyserver outage would take
    // every injected pod out of its Services although cached data keys still work.
    c.set("startupProbe", probe("/healthz", 1, 60));
    c.set("livenessProbe", probe("/healthz", 10, 3));

    ObjectNode resources = c.putObject("resources");
    resources.putObject("requests").put("cpu", settings.cpuRequest()).put("memory", settings.memoryRequest());
    if (settings.cpuLimit().isPresent() || settings.memoryLimit().isPresent()) {
      ObjectNode limits = resources.putObject("limits");
      settings.cpuLimit().ifPresent(v -> limits.put("cpu", v));
      settings.memoryLimit().ifPresent(v -> limits.put("memory", v));
    }

    ObjectNode security = c.putObject("securityContext")
        .put("runAsNonRoot", true)
        .put("runAsUser", SidecarContract.RUN_AS)
        .put("runAsGroup", SidecarContract.RUN_AS)
        .put("allowPrivilegeEscalation", false)
        .put("readOnlyRootFilesystem", true)
        .put("privileged", false);
    security.putObject("capabilities").putArray("drop").add("ALL");
    security.putObject("seccompProfile").put("type", "RuntimeDefault");

    ArrayNode mounts = c.putArray("volumeMounts");
    mounts.addObject().put("name", SidecarContract.IDENTITY_VOLUME)
        .put("mountPath", SidecarContract.IDENTITY_DIR).put("readOnly", true);
    mounts.addObject().put("name", SidecarContract.TMP_VOLUME).put("mountPath", "/tmp");
    settings.sidecarConfigMap().ifPresent(name -> mounts.addObject()
        .put("name", SidecarContract.CONFIG_VOLUME)
        .put("mountPath", SidecarContract.CONFIG_DIR).put("readOnly", true));
    return c;
  }

  private static ObjectNode probe(String path, int periodSeconds, int failureThreshold) {
    ObjectNode p = JSON.objectNode();
    p.putObject("httpGet").put("path", path).put("port", SidecarContract.HEALTH_PORT_NAME);
    p.put("periodSeconds", periodSeconds).put("failureThreshold", failureThreshold).put("timeoutSeconds", 2);
    return p;
  }

  /** Sets the sidecar's address in each listed container that does not set it itself. */
  private static void addSidecarUrl(ArrayNode ops, JsonNode spec, String field, InjectorConfig config) {
    JsonNode containers = spec.path(field);
    if (!containers.isArray()) {
      return;
    }
    ArrayNode vars = JSON.arrayNode();
    env(vars, SidecarContract.ENV_SIDECAR_URL, "http://127.0.0.1:" + config.httpPort());
    env(vars, SidecarContract.ENV_SIDECAR_GRPC, "127.0.0.1:" + config.grpcPort());
    for (int i = 0; i < containers.size(); i++) {
      JsonNode container = containers.get(i);
      Set<String> present = new HashSet<>();
      container.path("env").forEach(e -> present.add(e.path("name").asText()));
      // Patch indices refer to the pod as sent: the native sidecar goes in at index 0 before
      // these ops run, so init containers shift by one.
      int index = field.equals("initContainers") && config.nativeSidecar() ? i + 1 : i;
      String base = "/spec/" + field + "/" + index + "/env";
      boolean hasEnv = container.path("env").isArray();
      ArrayNode missing = JSON.arrayNode();
      vars.forEach(v -> {
        if (!present.contains(v.path("name").asText())) {
          missing.add(v);
        }
      });
      if (missing.isEmpty()) {
        continue;
      }
      if (hasEnv) {
        missing.forEach(v -> addOp(ops, base + "/-", v));
      } else {
        addOp(ops, base, missing);
      }
    }
  }

  private static void appendAll(ArrayNode ops, JsonNode spec, String field, ArrayNode items) {
    if (spec.path(field).isArray()) {
      items.forEach(item -> addOp(ops, "/spec/" + field + "/-", item));
    } else {
      addOp(ops, "/spec/" + field, items);
    }
  }

  private static void checkNameFree(JsonNode spec, String field, String name, String what) throws Rejection {
    for (JsonNode item : spec.path(field)) {
      if (name.equals(item.path("name").asText())) {
        throw new Rejection(409, "pod asks for " + Annotations.INJECT + " but already has a " + what + " named "
            + name + " without the " + Annotations.INJECTED + " marker; rename it or drop the annotation");
      }
    }
  }

  private static void env(ArrayNode env, String name, String value) {
    env.addObject().put("name", name).put("value", value);
  }

  private static void addOp(ArrayNode ops, String path, JsonNode value) {
    ops.addObject().put("op", "add").put("path", path).set("value", value);
  }

  /** RFC 6901: '~' becomes "~0" and '/' becomes "~1". */
  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  private static Optional<String> text(JsonNode annotations, String name) {
    JsonNode n = annotations.path(name);
    return n.isTextual() && !n.asText().isEmpty() ? Optional.of(n.asText()) : Optional.empty();
  }

  private static Optional<String> quantity(JsonNode annotations, String name) throws Rejection {
    Optional<String> v = text(annotations, name);
    if (v.isPresent() && !InjectorConfig.QUANTITY.matcher(v.get()).matches()) {
      throw new Rejection(400, name + " must be a Kubernetes quantity such as 50m or 128Mi, got " + Rejection.quote(v.get()));
    }
    return v;
  }
}
