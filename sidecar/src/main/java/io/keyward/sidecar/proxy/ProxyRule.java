package io.keyward.sidecar.proxy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One rule of a route: which requests (methods and a path glob) have which JSON fields encrypted,
 * under which key and context. Immutable; built by {@link ProxyRoute#fromConfig}.
 */
public final class ProxyRule {
  static final Set<String> SETTINGS = Set.of("methods", "path", "encrypt", "key", "context");

  private final Set<String> methods;
  private final PathGlob path;
  private final List<FieldPath> fields;
  /** Whether one field may lie inside another: decided once, as the fields never change. */
  private final boolean fieldsMayOverlap;
  private final String keyName;
  private final Map<String, String> context;
  private final ContextTemplate template;

  private ProxyRule(Set<String> methods, PathGlob path, List<FieldPath> fields, String keyName,
      Map<String, String> context, ContextTemplate template) {
    this.methods = methods;
    this.path = path;
    this.fields = fields;
    this.fieldsMayOverlap = FieldPath.mayOverlap(fields);
    this.keyName = keyName;
    this.context = context;
    this.template = template;
  }

  static ProxyRule fromConfig(Map<?, ?> raw, String where) {
    ConfigMap c = new ConfigMap(raw, where, SETTINGS);
    Set<String> methods = new TreeSet<>();
    for (String m : c.stringList("methods")) {
      String upper = m.toUpperCase(Locale.ROOT);
      if (!upper.matches("[A-Z]+")) {
        throw new IllegalArgumentException(c.where("methods") + ": not an HTTP method: '" + m + "'");
      }
      methods.add(upper);
    }
    PathGlob path = PathGlob.compile(c.requiredString("path"), c.where("path"));
    List<Map<?, ?>> encrypt = c.mapList("encrypt");
    if (encrypt.isEmpty()) {
      throw new IllegalArgumentException(c.where("encrypt") + " must list at least one field");
    }
    List<FieldPath> fields = new java.util.ArrayList<>();
    for (int i = 0; i < encrypt.size(); i++) {
      ConfigMap f = new ConfigMap(encrypt.get(i), c.where("encrypt[" + i + "]"), Set.of("field"));
      fields.add(FieldPath.parse(f.requiredString("field"), f.where("field")));
    }
    String keyName = c.requiredString("key");
    Map<String, String> context = c.stringMap("context");
    ContextTemplate template = ContextTemplate.parse(context, c.where("context"));
    return new ProxyRule(Set.copyOf(methods), path, List.copyOf(fields), keyName, Map.copyOf(context),
        template);
  }

  /** The methods this rule encrypts requests of (upper case); empty means every method. */
  public Set<String> methods() {
    return methods;
  }

  /** The path glob, as configured. */
  public String pathPattern() {
    return path.toString();
  }

  /** The configured field paths, as configured. */
  public List<String> fields() {
    return fields.stream().map(FieldPath::toString).toList();
  }

  /** The key the fields are encrypted under. */
  public String keyName() {
    return keyName;
  }

  /** The context templates, as configured (entry name to template). */
  public Map<String, String> contextTemplates() {
    return context;
  }

  boolean matchesPath(String decodedPath) {
    return path.matches(decodedPath);
  }

  boolean matches(String method, String decodedPath) {
    return (methods.isEmpty() || methods.contains(method)) && path.matches(decodedPath);
  }

  List<FieldPath> fieldPaths() {
    return fields;
  }

  boolean fieldsMayOverlap() {
    return fieldsMayOverlap;
  }

  ContextTemplate template() {
    return template;
  }

  static Optional<ProxyRule> first(List<ProxyRule> rules, String method, String path) {
    return rules.stream().filter(r -> r.matches(method, path)).findFirst();
  }

  @Override
  public String toString() {
    return "ProxyRule{methods=" + methods + ", path=" + path + ", fields=" + fields() + ", key="
        + keyName + "}";
  }
}
