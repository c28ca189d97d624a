package io.keyward.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads deploy/: every YAML document of a file, and the subset of kustomize the manifests use
 * (resources, namespace, labels) so that cross-file checks see objects as they are applied.
 */
final class Manifests {
  private Manifests() {}

  static final ObjectMapper YAML = new YAMLMapper();

  /** A parsed document and where it came from. */
  record Doc(Path file, int index, JsonNode node) {
    String kind() { return node.path("kind").asText(); }
    String name() { return node.path("metadata").path("name").asText(); }
    String namespace() { return node.path("metadata").path("namespace").asText(""); }
    @Override public String toString() { return file.getFileName() + "#" + index + " " + kind() + "/" + name(); }
  }

  /** Kinds that live in a namespace (kustomize sets theirs); the rest are cluster-scoped. */
  static final Set<String> NAMESPACED = Set.of("ServiceAccount", "ConfigMap", "Secret", "Service", "Deployment",
      "StatefulSet", "PodDisruptionBudget", "NetworkPolicy", "Pod");

  static Path deployDir() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.isRegularFile(dir.resolve("deploy/base/kustomization.yaml"))) {
        return dir.resolve("deploy");
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("no deploy/base/kustomization.yaml above " + Path.of("").toAbsolutePath());
  }

  static List<Doc> read(Path file) {
    List<Doc> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(new YAMLFactory().createParser(file.toFile()))) {
      int i = 0;
      while (it.hasNextValue()) {
        JsonNode n = it.nextValue();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(new Doc(file, i, n));
        }
        i++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse " + file, e);
    }
    return docs;
  }

  static List<Path> yamlFiles(Path dir) {
    try (var s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .filter(p -> !p.toString().contains("/target/")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The objects a kustomization applies (resources recursively, then namespace and labels). */
  static List<Doc> build(Path kustomizationDir) {
    Path file = kustomizationDir.resolve("kustomization.yaml");
    JsonNode k = read(file).get(0).node();
    for (var it = k.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of("apiVersion", "kind", "namespace", "labels", "resources").contains(f)) {
        throw new IllegalArgumentException(file + ": kustomize field '" + f + "' is not understood by this test");
      }
    }
    List<Doc> out = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path p = kustomizationDir.resolve(r.asText()).normalize();
      if (Files.isDirectory(p)) {
        out.addAll(build(p));
      } else if (Files.isRegularFile(p)) {
        out.addAll(read(p));
      } else {
        throw new IllegalArgumentException(file + ": resource " + r.asText() + " does not exist");
      }
    }
    String ns = k.path("namespace").asText("");
    List<Doc> result = new ArrayList<>();
    for (Doc d : out) {
      ObjectNode n = d.node().deepCopy();
      ObjectNode meta = (ObjectNode) n.get("metadata");
      if (!ns.isEmpty() && NAMESPACED.contains(d.kind())) {
        meta.put("namespace", ns);
      }
      for (JsonNode l : k.path("labels")) {
        if (l.path("includeSelectors").asBoolean(false) || l.path("includeTemplates").asBoolean(false)) {
          throw new IllegalArgumentException(file + ": labels with selectors/templates are not understood by this test");
        }
        l.path("pairs").properties().forEach(e -> meta.withObjectProperty("labels").set(e.getKey(), e.getValue()));
      }
      result.add(new Doc(d.file(), d.index(), n));
    }
    return result;
  }
}
