package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.injector.Manifests.Doc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/**
 * Every manifest in deploy/ parses as the Kubernetes objects it claims to be, and the files agree
 * with each other and with the code: images, ports, probes, labels, selectors, mounted paths, the
 * webhook's service and path, the annotation names. Offline; kubectl is used only when present.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = Manifests.deployDir();
  /** Directories that kustomize applies; the other YAML files are standalone documents. */
  private static final List<String> BUILDS = List.of("base", "overlays/postgresql", "examples/orders");
  private static final Pattern DNS_NAME = Pattern.compile("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$");

  /** apiVersion/kind → top-level fields allowed besides apiVersion, kind, metadata. */
  private static final Map<String, Set<String>> KINDS = Map.ofEntries(
      Map.entry("v1/Namespace", Set.of("spec")),
      Map.entry("v1/ServiceAccount", Set.of("automountServiceAccountToken", "imagePullSecrets", "secrets")),
      Map.entry("v1/ConfigMap", Set.of("data", "binaryData", "immutable")),
      Map.entry("v1/Secret", Set.of("data", "stringData", "type", "immutable")),
      Map.entry("v1/Service", Set.of("spec")),
      Map.entry("v1/Pod", Set.of("spec")),
      Map.entry("apps/v1/Deployment", Set.of("spec")),
      Map.entry("apps/v1/StatefulSet", Set.of("spec")),
      Map.entry("policy/v1/PodDisruptionBudget", Set.of("spec")),
      Map.entry("networking.k8s.io/v1/NetworkPolicy", Set.of("spec")),
      Map.entry("rbac.authorization.k8s.io/v1/ClusterRoleBinding", Set.of("roleRef", "subjects")),
      Map.entry("admissionregistration.k8s.io/v1/MutatingWebhookConfiguration", Set.of("webhooks")),
      Map.entry("kustomize.config.k8s.io/v1beta1/Kustomization", Set.of("namespace", "labels", "resources")),
      Map.entry("kubeadm.k8s.io/v1beta3/ClusterConfiguration", Set.of("apiServer")),
      Map.entry("apiserver.config.k8s.io/v1/EncryptionConfiguration", Set.of("resources")));
  /** Kinds that are configuration files for tools, not API objects: no metadata required. */
  private static final Set<String> FILE_KINDS = Set.of("Kustomization", "ClusterConfiguration", "EncryptionConfiguration");

  private static final Set<String> POD_SPEC_FIELDS = Set.of("containers", "initContainers", "volumes", "serviceAccountName",
      "automountServiceAccountToken", "securityContext", "terminationGracePeriodSeconds", "topologySpreadConstraints",
      "affinity", "nodeSelector", "tolerations", "priorityClassName", "hostNetwork", "restartPolicy", "dnsPolicy",
      "imagePullSecrets", "enableServiceLinks", "dnsConfig", "hostname", "subdomain", "schedulerName", "runtimeClassName",
      "shareProcessNamespace", "preemptionPolicy", "os", "readinessGates", "hostAliases", "nodeName",
      "activeDeadlineSeconds", "setHostnameAsFQDN");
  private static final Set<String> CONTAINER_FIELDS = Set.of("name", "image", "imagePullPolicy", "command", "args", "env",
      "envFrom", "ports", "startupProbe", "readinessProbe", "livenessProbe", "resources", "securityContext",
      "volumeMounts", "workingDir", "restartPolicy", "lifecycle", "terminationMessagePath", "terminationMessagePolicy",
      "resizePolicy", "stdin", "tty");

  /** Objects created at install time, outside kustomize (deploy/README.md, "Install"). */
  private static final Set<String> CREATED_AT_INSTALL = Set.of(
      "Secret/keyward-root-key", "Secret/keyward-keyserver-tls", "Secret/keyward-injector-tls",
      "Secret/keyward-postgresql", "ConfigMap/keyward-keyserver-ca",
      // Published by Kubernetes in every namespace.
      "ConfigMap/kube-root-ca.crt");

  @Test
  void everyFileParsesAsKnownKubernetesObjects() {
    List<String> failures = new ArrayList<>();
    List<Path> files = Manifests.yamlFiles(DEPLOY);
    assertTrue(files.size() >= 15, "found only " + files);
    for (Path f : files) {
      List<Doc> docs;
      try {
        docs = Manifests.read(f);
      } catch (RuntimeException e) {
        failures.add(f + ": " + e.getMessage());
        continue;
      }
      if (docs.isEmpty()) {
        failures.add(f + ": no document");
      }
      for (Doc d : docs) {
        checkObject(d, failures);
      }
    }
    assertEquals(List.of(), failures);
  }

  private static void checkObject(Doc d, List<String> failures) {
    JsonNode n = d.node();
    String key = n.path("apiVersion").asText() + "/" + d.kind();
    Set<String> allowed = KINDS.get(key);
    if (allowed == null) {
      failures.add(d + ": unknown apiVersion/kind " + key);
      return;
    }
    n.fieldNames().forEachRemaining(f -> {
      if (!f.equals("apiVersion") && !f.equals("kind") && !f.equals("metadata") && !allowed.contains(f)) {
        failures.add(d + ": unknown field '" + f + "'");
      }
    });
    if (FILE_KINDS.contains(d.kind())) {
      return;
    }
    if (!DNS_NAME.matcher(d.name()).matches() && !d.name().contains(":")) {
      failures.add(d + ": metadata.name '" + d.name() + "' is not a valid name");
    }
    n.path("metadata").path("labels").properties().forEach(l -> {
      if (!l.getValue().isTextual() || l.getValue().asText().length() > 63) {
        failures.add(d + ": label " + l.getKey() + " must be a string of at most 63 characters");
      }
    });
    n.path("metadata").path("annotations").properties().forEach(a -> {
      if (!a.getValue().isTextual()) {
        failures.add(d + ": annotation " + a.getKey() + " must be a string (quote it)");
      }
    });
    switch (d.kind()) {
      case "ConfigMap" -> n.path("data").properties().forEach(e -> {
        if (!e.getValue().isTextual()) {
          failures.add(d + ": data." + e.getKey() + " must be a string");
        }
      });
      case "Deployment", "StatefulSet" -> {
        JsonNode spec = n.path("spec");
        if (!spec.path("selector").path("matchLabels").isObject()) {
          failures.add(d + ": spec.selector.matchLabels missing");
        }
        if (d.kind().equals("StatefulSet") && spec.path("serviceName").asText().isEmpty()) {
          failures.add(d + ": spec.serviceName missing");
        }
        Set<String> claims = new HashSet<>();
        spec.path("volumeClaimTemplates").forEach(c -> claims.add(c.path("metadata").path("name").asText()));
        checkPodSpec(d, spec.path("template").path("spec"), claims, failures);
      }
      case "Pod" -> checkPodSpec(d, n.path("spec"), Set.of(), failures);
      case "Service" -> {
        for (JsonNode p : n.path("spec").path("ports")) {
          if (!p.path("port").isInt() || p.path("name").asText().isEmpty()) {
            failures.add(d + ": every port needs a name and an integer port");
          }
        }
      }
      case "PodDisruptionBudget" -> {
        if (n.path("spec").has("minAvailable") == n.path("spec").has("maxUnavailable")) {
          failures.add(d + ": exactly one of minAvailable and maxUnavailable");
        }
      }
      case "NetworkPolicy" -> {
        if (!n.path("spec").path("podSelector").isObject()) {
          failures.add(d + ": spec.podSelector missing");
        }
      }
      case "MutatingWebhookConfiguration" -> {
        for (JsonNode w : n.path("webhooks")) {
          if (!contains(w.path("admissionReviewVersions"), "v1")) {
            failures.add(d + ": admissionReviewVersions must include v1");
          }
          if (!Set.of("None", "NoneOnDryRun").contains(w.path("sideEffects").asText())) {
            failures.add(d + ": sideEffects must be None or NoneOnDryRun");
          }
          if (w.path("failurePolicy").asText().isEmpty()) {
            failures.add(d + ": failurePolicy must be chosen explicitly");
          }
        }
      }
      default -> { }
    }
  }

  private static void checkPodSpec(Doc d, JsonNode spec, Set<String> claimVolumes, List<String> failures) {
    spec.fieldNames().forEachRemaining(f -> {
      if (!POD_SPEC_FIELDS.contains(f)) {
        failures.add(d + ": unknown pod spec field '" + f + "'");
      }
    });
    Set<String> volumes = new HashSet<>(claimVolumes);
    spec.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
    List<JsonNode> containers = new ArrayList<>();
    spec.path("containers").forEach(containers::add);
    spec.path("initContainers").forEach(containers::add);
    if (containers.isEmpty()) {
      failures.add(d + ": no containers");
    }
    for (JsonNode c : containers) {
      String where = d + " container " + c.path("name").asText();
      c.fieldNames().forEachRemaining(f -> {
        if (!CONTAINER_FIELDS.contains(f)) {
          failures.add(where + ": unknown field '" + f + "'");
        }
      });
      if (c.path("image").asText().isEmpty() || c.path("image").asText().endsWith(":latest")) {
        failures.add(where + ": needs an image with a fixed tag");
      }
      Set<String> portNames = new HashSet<>();
      Set<Integer> portNumbers = new HashSet<>();
      for (JsonNode p : c.path("ports")) {
        portNames.add(p.path("name").asText());
        portNumbers.add(p.path("containerPort").asInt());
      }
      for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        JsonNode pr = c.path(probe);
        JsonNode port = pr.has("httpGet") ? pr.path("httpGet").path("port") : pr.path("tcpSocket").path("port");
        if (!port.isMissingNode() && !(port.isInt() ? portNumbers.contains(port.asInt()) : portNames.contains(port.asText()))) {
          failures.add(where + ": " + probe + " uses port " + port + " that the container does not declare");
        }
      }
      for (JsonNode m : c.path("volumeMounts")) {
        if (!volumes.contains(m.path("name").asText())) {
          failures.add(where + ": mounts undeclared volume " + m.path("name").asText());
        }
      }
      JsonNode sc = c.path("securityContext");
      boolean nonRoot = sc.path("runAsNonRoot").asBoolean(false) || spec.path("securityContext").path("runAsNonRoot").asBoolean(false);
      if (!nonRoot || sc.path("allowPrivilegeEscalation").asBoolean(true) || !contains(sc.path("capabilities").path("drop"), "ALL")
          || !spec.path("securityContext").path("seccompProfile").path("type").asText().equals("RuntimeDefault")) {
        failures.add(where + ": must meet the restricted Pod Security Standard (non-root, no escalation, drop ALL, RuntimeDefault seccomp)");
      }
    }
  }

  @Test
  void kustomizationsApplyEveryManifest() {
    Set<Path> applied = new HashSet<>();
    for (String b : BUILDS) {
      Manifests.build(DEPLOY.resolve(b)).forEach(d -> applied.add(d.file()));
    }
    List<String> orphans = new ArrayList<>();
    for (String b : BUILDS) {
      for (Path f : Manifests.yamlFiles(DEPLOY.resolve(b))) {
        if (!f.getFileName().toString().equals("kustomization.yaml") && !applied.contains(f)) {
          orphans.add(DEPLOY.relativize(f).toString());
        }
      }
    }
    assertEquals(List.of(), orphans, "manifests no kustomization applies");
  }

  @Test
  void filesAgreeWithEachOtherInEveryBuild() {
    List<String> failures = new ArrayList<>();
    for (String b : BUILDS) {
      List<Doc> docs = Manifests.build(DEPLOY.resolve(b));
      checkBuild(b, docs, failures);
    }
    assertEquals(List.of(), failures);
  }

  private static void checkBuild(String build, List<Doc> docs, List<String> failures) {
    Set<String> ids = new HashSet<>();
    for (Doc d : docs) {
      if (!ids.add(d.kind() + "/" + d.namespace() + "/" + d.name())) {
        failures.add(build + ": " + d + " defined twice");
      }
    }
    List<Doc> workloads = docs.stream().filter(d -> Set.of("Deployment", "StatefulSet").contains(d.kind())).toList();
    for (Doc w : workloads) {
      JsonNode labels = w.node().at("/spec/template/metadata/labels");
      w.node().at("/spec/selector/matchLabels").properties().forEach(e -> {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          failures.add(build + ": " + w + " selector " + e.getKey() + " does not match its pod labels");
        }
      });
      if (!labels.path("app.kubernetes.io/name").equals(w.node().at("/metadata/labels/app.kubernetes.io~1name"))) {
        failures.add(build + ": " + w + " pod label app.kubernetes.io/name differs from the workload's");
      }
      String sa = w.node().at("/spec/template/spec/serviceAccountName").asText("");
      if (!sa.isEmpty() && find(docs, "ServiceAccount", w.namespace(), sa).isEmpty()) {
        failures.add(build + ": " + w + " uses missing ServiceAccount " + sa);
      }
      for (JsonNode v : w.node().at("/spec/template/spec/volumes")) {
        checkVolumeSource(build, w, v, docs, failures);
      }
    }
    for (Doc s : docs.stream().filter(d -> d.kind().equals("Service")).toList()) {
      List<Doc> selected = selected(workloads, s.namespace(), s.node().at("/spec/selector"));
      if (selected.size() != 1) {
        failures.add(build + ": " + s + " selects " + selected + ", expected exactly one workload");
        continue;
      }
      for (JsonNode p : s.node().at("/spec/ports")) {
        if (containerPort(selected.get(0), p.path("targetPort")).isEmpty()) {
          failures.add(build + ": " + s + " targetPort " + p.path("targetPort") + " is not a port of " + selected.get(0));
        }
      }
    }
    for (Doc p : docs.stream().filter(d -> d.kind().equals("PodDisruptionBudget")).toList()) {
      List<Doc> selected = selected(workloads, p.namespace(), p.node().at("/spec/selector/matchLabels"));
      if (selected.size() != 1 || selected.get(0).node().at("/spec/replicas").asInt(1) <= p.node().at("/spec/minAvailable").asInt()) {
        failures.add(build + ": " + p + " must cover one workload with more replicas than minAvailable, got " + selected);
      }
    }
    for (Doc np : docs.stream().filter(d -> d.kind().equals("NetworkPolicy")).toList()) {
      List<Doc> selected = selected(workloads, np.namespace(), np.node().at("/spec/podSelector/matchLabels"));
      if (selected.size() != 1) {
        failures.add(build + ": " + np + " selects " + selected + ", expected one workload");
        continue;
      }
      for (JsonNode rule : np.node().at("/spec/ingress")) {
        for (JsonNode port : rule.path("ports")) {
          if (containerPort(selected.get(0), port.path("port")).isEmpty()) {
            failures.add(build + ": " + np + " opens port " + port.path("port") + " that " + selected.get(0) + " does not declare");
          }
        }
      }
    }
    for (Doc w : docs.stream().filter(d -> d.kind().equals("MutatingWebhookConfiguration")).toList()) {
      checkWebhook(build, w, docs, workloads, failures);
    }
  }

  private static void checkVolumeSource(String build, Doc w, JsonNode v, List<Doc> docs, List<String> failures) {
    for (String kind : List.of("ConfigMap", "Secret")) {
      JsonNode src = v.path(kind.equals("ConfigMap") ? "configMap" : "secret");
      if (src.isMissingNode()) {
        continue;
      }
      String name = src.path(kind.equals("ConfigMap") ? "name" : "secretName").asText();
      Optional<Doc> obj = find(docs, kind, w.namespace(), name);
      if (obj.isEmpty() && !CREATED_AT_INSTALL.contains(kind + "/" + name)) {
        failures.add(build + ": " + w + " volume " + v.path("name").asText() + " needs " + kind + " " + name + ", which nothing creates");
      }
      obj.ifPresent(o -> src.path("items").forEach(item -> {
        if (!o.node().path("data").has(item.path("key").asText())) {
          failures.add(build + ": " + w + " mounts key " + item.path("key").asText() + " missing from " + o);
        }
      }));
    }
  }

  private static void checkWebhook(String build, Doc w, List<Doc> docs, List<Doc> workloads, List<String> failures) {
    for (JsonNode hook : w.node().path("webhooks")) {
      JsonNode svcRef = hook.at("/clientConfig/service");
      if (!WebhookServer.MUTATE_PATH.equals(svcRef.path("path").asText())) {
        failures.add(build + ": webhook path " + svcRef.path("path") + " is not the injector's " + WebhookServer.MUTATE_PATH);
      }
      String ns = svcRef.path("namespace").asText();
      Optional<Doc> svc = find(docs, "Service", ns, svcRef.path("name").asText());
      if (svc.isEmpty()) {
        failures.add(build + ": webhook service " + ns + "/" + svcRef.path("name").asText() + " does not exist");
        continue;
      }
      boolean portFound = false;
      for (JsonNode p : svc.get().node().at("/spec/ports")) {
        portFound |= p.path("port").asInt() == svcRef.path("port").asInt(443);
      }
      if (!portFound) {
        failures.add(build + ": webhook port " + svcRef.path("port") + " is not a port of " + svc.get());
      }
      List<Doc> injector = selected(workloads, ns, svc.get().node().at("/spec/selector"));
      if (injector.size() != 1 || !injector.get(0).node().at("/spec/template/metadata/labels/app.kubernetes.io~1name").asText()
          .equals(Injection.OWN_APP_VALUE)) {
        failures.add(build + ": the webhook's pods must carry app.kubernetes.io/name=" + Injection.OWN_APP_VALUE + " (the injector skips them)");
      }
      if (!"Fail".equals(hook.path("failurePolicy").asText())) {
        failures.add(build + ": failurePolicy must be Fail (documented choice)");
      }
      if (!hasExpression(hook.path("namespaceSelector"), "kubernetes.io/metadata.name", "NotIn", ns)
          || !hasExpression(hook.path("namespaceSelector"), "kubernetes.io/metadata.name", "NotIn", "kube-system")) {
        failures.add(build + ": namespaceSelector must exclude " + ns + " and kube-system");
      }
      if (!hasExpression(hook.path("namespaceSelector"), Annotations.NAMESPACE_LABEL, "In", "enabled")) {
        failures.add(build + ": namespaceSelector must require " + Annotations.NAMESPACE_LABEL + "=enabled");
      }
      if (!hasExpression(hook.path("objectSelector"), "app.kubernetes.io/name", "NotIn", Injection.OWN_APP_VALUE)) {
        failures.add(build + ": objectSelector must exclude the injector's own pods");
      }
    }
  }

  @Test
  void imagesAreTheOnesTheImagesProfileBuilds() throws Exception {
    Element props = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(DEPLOY.resolve("images/pom.xml").toFile()).getElementsByTagName("properties").item(0);
    String registry = props.getElementsByTagName("keyward.image.registry").item(0).getTextContent().trim();
    String tag = props.getElementsByTagName("keyward.image.tag").item(0).getTextContent().trim();
    Set<String> built = new TreeSet<>();
    try (var dirs = Files.list(DEPLOY.resolve("images"))) {
      dirs.filter(p -> Files.isRegularFile(p.resolve("pom.xml"))).forEach(p -> built.add(registry + "/" + p.getFileName() + ":" + tag));
    }
    assertEquals(Set.of(registry + "/keyserver:" + tag, registry + "/sidecar:" + tag, registry + "/injector:" + tag), built);

    List<String> failures = new ArrayList<>();
    Set<String> used = new TreeSet<>();
    for (Doc d : Manifests.build(DEPLOY.resolve("base"))) {
      for (String path : List.of("/spec/template/spec/containers", "/spec/template/spec/initContainers")) {
        d.node().at(path).forEach(c -> used.add(c.path("image").asText()));
      }
    }
    used.stream().filter(i -> !built.contains(i)).forEach(i -> failures.add("base uses image " + i + " that -Pimages does not build"));
    String sidecarImage = injectorConfig().path("sidecarImage").asText();
    if (!sidecarImage.equals(registry + "/sidecar:" + tag)) {
      failures.add("injector sidecarImage " + sidecarImage + " is not the sidecar image " + registry + "/sidecar:" + tag);
    }
    assertEquals(List.of(), failures);
    assertEquals(Set.of(registry + "/keyserver:" + tag, registry + "/injector:" + tag), used);
  }

  @Test
  void injectorConfigMapIsValidAndPointsAtMountedFilesAndTheKeyserver(@TempDir Path tmp) throws IOException {
    List<Doc> base = Manifests.build(DEPLOY.resolve("base"));
    JsonNode container = container(base, "keyward-injector");
    String yaml = configMap(base, "keyward-injector").path("injector.yaml").asText();
    JsonNode cfg = Manifests.YAML.readTree(yaml);
    // The real loader, with the CA path redirected to a local file.
    Path ca = Files.writeString(tmp.resolve("ca.crt"), Fixtures.TEST_CA);
    Path file = Files.writeString(tmp.resolve("injector.yaml"),
        yaml.replace(cfg.path("keyserverCaFile").asText(), ca.toString()), StandardCharsets.UTF_8);
    InjectorConfig.Builder b = InjectorConfig.builder();
    ConfigFile.apply(file, b);
    InjectorConfig config = b.build();

    List<String> failures = new ArrayList<>();
    checkMounted(container, cfg.path("keyserverCaFile").asText(), failures);
    for (JsonNode arg : container.path("args")) {
      Matcher m = Pattern.compile("^--(config|tls-cert-file|tls-key-file)=(.+)$").matcher(arg.asText());
      if (m.matches()) {
        checkMounted(container, m.group(2), failures);
      }
    }
    JsonNode keyserverService = find(base, "Service", "keyward", "keyward-keyserver").orElseThrow().node();
    String expected = "keyward-keyserver.keyward.svc:" + keyserverService.at("/spec/ports/0/port").asInt();
    assertEquals("grpc", keyserverService.at("/spec/ports/0/name").asText());
    if (!config.keyserver().equals(expected)) {
      failures.add("injector keyserver " + config.keyserver() + " is not the keyserver Service " + expected);
    }
    JsonNode keyserverCfg = Manifests.YAML.readTree(configMap(base, "keyward-keyserver").path("keyward.yaml").asText());
    if (!keyserverCfg.at("/identity/audience").asText().equals(config.tokenAudience())) {
      failures.add("sidecar token audience " + config.tokenAudience() + " is not the keyserver's " + keyserverCfg.at("/identity/audience"));
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void keyserverConfigMatchesItsDeployment() throws IOException {
    List<Doc> base = Manifests.build(DEPLOY.resolve("base"));
    JsonNode container = container(base, "keyward-keyserver");
    JsonNode cfg = Manifests.YAML.readTree(configMap(base, "keyward-keyserver").path("keyward.yaml").asText());
    List<String> failures = new ArrayList<>();
    for (String path : List.of("/tls/certFile", "/tls/keyFile", "/rootKey/passphraseFile", "/policyFile", "/identity/issuers/0/caFile")) {
      checkMounted(container, cfg.at(path).asText(), failures);
    }
    if (!cfg.at("/listen").asText().endsWith(":" + portNumber(container, "grpc"))) {
      failures.add("listen " + cfg.at("/listen") + " is not the grpc container port");
    }
    if (!cfg.at("/metricsListen").asText().endsWith(":" + portNumber(container, "metrics"))) {
      failures.add("metricsListen " + cfg.at("/metricsListen") + " is not the metrics container port");
    }
    JsonNode policy = Manifests.YAML.readTree(configMap(base, "keyward-keyserver").path("policy.yaml").asText());
    if (!policy.path("rules").isArray() || policy.path("rules").isEmpty()) {
      failures.add("policy.yaml has no rules");
    }
    // Sidecars reach the keyserver only through the label the injector sets.
    JsonNode np = find(base, "NetworkPolicy", "keyward", "keyward-keyserver").orElseThrow().node();
    if (!np.toString().contains("\"" + Annotations.SIDECAR_LABEL + "\":\"true\"")) {
      failures.add("keyserver NetworkPolicy does not admit pods labelled " + Annotations.SIDECAR_LABEL);
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void exampleAppAsksForInjectionInAnOptedInNamespaceAndIsAllowedByThePolicy() throws IOException {
    List<Doc> example = Manifests.build(DEPLOY.resolve("examples/orders"));
    Doc deployment = example.stream().filter(d -> d.kind().equals("Deployment")).findFirst().orElseThrow();
    assertEquals("true", deployment.node().at("/spec/template/metadata/annotations").path(Annotations.INJECT).asText());
    Doc ns = find(example, "Namespace", "", deployment.namespace()).orElseThrow();
    assertEquals("enabled", ns.node().at("/metadata/labels").path(Annotations.NAMESPACE_LABEL).asText());
    String subject = "system:serviceaccount:" + deployment.namespace() + ":" + deployment.node().at("/spec/template/spec/serviceAccountName").asText();
    String key = deployment.node().at("/spec/template/metadata/annotations").path(Annotations.DEFAULT_KEY).asText();
    JsonNode policy = Manifests.YAML.readTree(configMap(Manifests.build(DEPLOY.resolve("base")), "keyward-keyserver").path("policy.yaml").asText());
    boolean allowed = false;
    for (JsonNode rule : policy.path("rules")) {
      allowed |= rule.at("/match/subject").asText().equals(subject) && contains(rule.path("keys"), key)
          && contains(rule.path("operations"), "encrypt");
    }
    assertTrue(allowed, "no policy rule lets " + subject + " encrypt with key " + key);
  }

  @Test
  void kubectlKustomizeBuildsTheSameObjects() throws Exception {
    Optional<Path> kubectl = onPath("kubectl");
    assumeTrue(kubectl.isPresent(), "kubectl not installed; the Java checks above still ran");
    List<String> failures = new ArrayList<>();
    for (String b : BUILDS) {
      Process p = new ProcessBuilder(kubectl.get().toString(), "kustomize", DEPLOY.resolve(b).toString())
          .redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      if (p.exitValue() != 0) {
        failures.add("kubectl kustomize " + b + ": " + new String(out, StandardCharsets.UTF_8));
        continue;
      }
      Path tmp = Files.createTempFile("kustomize", ".yaml");
      Files.write(tmp, out);
      Set<String> real = new TreeSet<>();
      Manifests.read(tmp).forEach(d -> real.add(d.kind() + "/" + d.namespace() + "/" + d.name()));
      Files.delete(tmp);
      Set<String> ours = new TreeSet<>();
      Manifests.build(DEPLOY.resolve(b)).forEach(d -> ours.add(d.kind() + "/" + d.namespace() + "/" + d.name()));
      if (!real.equals(ours)) {
        failures.add(b + ": kubectl kustomize gives " + real + ", this test's reading " + ours);
      }
    }
    assertEquals(List.of(), failures);
  }

  // ---- helpers ----

  private static JsonNode injectorConfig() throws IOException {
    return Manifests.YAML.readTree(configMap(Manifests.build(DEPLOY.resolve("base")), "keyward-injector").path("injector.yaml").asText());
  }

  private static JsonNode configMap(List<Doc> docs, String name) {
    return docs.stream().filter(d -> d.kind().equals("ConfigMap") && d.name().equals(name)).findFirst().orElseThrow().node().path("data");
  }

  private static JsonNode container(List<Doc> docs, String deployment) {
    return find(docs, "Deployment", "keyward", deployment).orElseThrow().node().at("/spec/template/spec/containers/0");
  }

  private static void checkMounted(JsonNode container, String file, List<String> failures) {
    boolean mounted = false;
    for (JsonNode m : container.path("volumeMounts")) {
      mounted |= file.startsWith(m.path("mountPath").asText() + "/");
    }
    if (!mounted) {
      failures.add(container.path("name").asText() + ": " + file + " is not inside any mounted volume");
    }
  }

  private static int portNumber(JsonNode container, String name) {
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    return -1;
  }

  private static Optional<JsonNode> containerPort(Doc workload, JsonNode ref) {
    for (JsonNode c : workload.node().at("/spec/template/spec/containers")) {
      for (JsonNode p : c.path("ports")) {
        if (ref.isInt() ? p.path("containerPort").asInt() == ref.asInt() : p.path("name").asText().equals(ref.asText())) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private static List<Doc> selected(List<Doc> workloads, String ns, JsonNode selector) {
    List<Doc> out = new ArrayList<>();
    for (Doc w : workloads) {
      if (!w.namespace().equals(ns) || !selector.isObject() || selector.isEmpty()) {
        continue;
      }
      JsonNode labels = w.node().at("/spec/template/metadata/labels");
      boolean all = true;
      for (var e : selector.properties()) {
        all &= e.getValue().equals(labels.get(e.getKey()));
      }
      if (all) {
        out.add(w);
      }
    }
    return out;
  }

  private static Optional<Doc> find(List<Doc> docs, String kind, String ns, String name) {
    return docs.stream().filter(d -> d.kind().equals(kind) && d.namespace().equals(ns) && d.name().equals(name)).findFirst();
  }

  private static boolean hasExpression(JsonNode selector, String key, String operator, String value) {
    for (JsonNode e : selector.path("matchExpressions")) {
      if (e.path("key").asText().equals(key) && e.path("operator").asText().equals(operator) && contains(e.path("values"), value)) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode v : array) {
      if (v.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static Optional<Path> onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
