package io.keyward.keyserver.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Turns a policy document into rules, collecting every error with its line instead of stopping at
 * the first. Single use.
 */
final class PolicyParser {
  static final int MAX_DOCUMENT_CHARS = 1 << 20;
  static final int MAX_RULES = 1000;
  static final int MAX_NAME_LENGTH = 128;
  private static final int MAX_QUOTED = 40;

  private static final Set<String> TOP_FIELDS = Set.of("rules");
  private static final Set<String> RULE_FIELDS =
      Set.of("name", "match", "keys", "operations", "context");
  private static final Set<String> MATCH_FIELDS = Set.of("issuer", "subject", "namespace");

  private final List<String> errors = new ArrayList<>();

  List<Rule> parse(String document) throws PolicyValidationException {
    if (document.length() > MAX_DOCUMENT_CHARS) {
      throw new PolicyValidationException(
          List.of("line 1: document is larger than " + MAX_DOCUMENT_CHARS + " characters"));
    }
    Node root;
    try {
      root = SafeYaml.compose(document, MAX_DOCUMENT_CHARS);
    } catch (SafeYaml.SyntaxError e) {
      throw new PolicyValidationException(List.of("line " + e.line + ": " + e.getMessage()));
    }
    if (root == null) {
      throw new PolicyValidationException(
          List.of("line 1: document is empty; expected a mapping with 'rules'"));
    }
    List<Rule> rules = rules(root);
    if (!errors.isEmpty()) {
      errors.sort(Comparator.comparingInt(PolicyParser::lineOf)); // stable: keeps field order
      throw new PolicyValidationException(errors);
    }
    return rules;
  }

  private List<Rule> rules(Node root) {
    Map<String, Node> top = fields(root, "the document", TOP_FIELDS);
    if (top == null) {
      return List.of();
    }
    Node rulesNode = top.get("rules");
    if (rulesNode == null) {
      error(root, "missing required field 'rules'");
      return List.of();
    }
    if (!(rulesNode instanceof SequenceNode)) {
      error(rulesNode, "'rules' must be a list");
      return List.of();
    }
    List<Node> items = ((SequenceNode) rulesNode).getValue();
    if (items.size() > MAX_RULES) {
      error(rulesNode, "too many rules: " + items.size() + " (at most " + MAX_RULES + ")");
      return List.of();
    }
    List<Rule> rules = new ArrayList<>();
    Map<String, Integer> nameLines = new LinkedHashMap<>();
    for (Node item : items) {
      Rule rule = rule(item, nameLines);
      if (rule != null) {
        rules.add(rule);
      }
    }
    return rules;
  }

  /** Returns null (after recording errors) when the rule is invalid. */
  private Rule rule(Node node, Map<String, Integer> nameLines) {
    int errorsBefore = errors.size();
    Map<String, Node> f = fields(node, "a rule", RULE_FIELDS);
    if (f == null) {
      return null;
    }
    String name = requiredString(f, node, "name", "rule");
    String where = name == null ? "rule" : "rule '" + quote(name) + "'";
    if (name != null) {
      Node nameNode = f.get("name");
      if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || !printable(name)) {
        error(nameNode, "rule name must be 1 to " + MAX_NAME_LENGTH + " printable characters");
      } else {
        Integer firstLine = nameLines.putIfAbsent(name, SafeYaml.line(nameNode));
        if (firstLine != null) {
          error(nameNode, "duplicate rule name '" + quote(name) + "' (first used on line "
              + firstLine + ")");
        }
      }
    }

    String issuer = null;
    Glob subject = null;
    Glob namespace = null;
    Node matchNode = f.get("match");
    if (matchNode == null) {
      error(node, where + ": missing required field 'match'");
    } else {
      Map<String, Node> m = fields(matchNode, where + " match", MATCH_FIELDS);
      if (m != null) {
        if (m.isEmpty()) {
          error(matchNode, where + ": 'match' needs at least one of issuer, subject, namespace");
        }
        if (m.containsKey("issuer")) {
          issuer = string(m.get("issuer"), where + " match.issuer");
          if (issuer != null && issuer.isEmpty()) {
            error(m.get("issuer"), where + ": match.issuer must not be empty");
          } else if (issuer != null && issuer.indexOf('*') >= 0) {
            // A '*' here would be compared literally and silently never match.
            error(m.get("issuer"), where + ": match.issuer is compared exactly; '*' is not allowed");
          }
        }
        subject = glob(m.get("subject"), where + " match.subject");
        namespace = glob(m.get("namespace"), where + " match.namespace");
      }
    }

    List<Glob> keys = new ArrayList<>();
    Node keysNode = f.get("keys");
    if (keysNode == null) {
      error(node, where + ": missing required field 'keys'");
    } else {
      for (Node item : list(keysNode, where + " keys")) {
        Glob key = glob(item, where + " keys");
        if (key != null) {
          keys.add(key);
        }
      }
    }

    long operations = 0;
    Node opsNode = f.get("operations");
    if (opsNode == null) {
      error(node, where + ": missing required field 'operations'");
    } else {
      for (Node item : list(opsNode, where + " operations")) {
        String op = string(item, where + " operations");
        if (op != null) {
          long bits = operationBits(op);
          if (bits == 0) {
            error(item, where + ": unknown operation '" + quote(op) + "'; known: "
                + knownOperations());
          }
          operations |= bits;
        }
      }
    }

    List<String> contextNames = new ArrayList<>();
    List<ContextTemplate> contextValues = new ArrayList<>();
    Node contextNode = f.get("context");
    if (contextNode != null) {
      context(contextNode, where, contextNames, contextValues);
    }

    if (errors.size() > errorsBefore) {
      return null;
    }
    return new Rule(
        name,
        issuer,
        subject,
        namespace,
        keys.toArray(new Glob[0]),
        operations,
        contextNames.toArray(new String[0]),
        contextValues.toArray(new ContextTemplate[0]));
  }

  private void context(
      Node node, String where, List<String> names, List<ContextTemplate> values) {
    Map<String, Node> entries = fields(node, where + " context", null);
    if (entries == null) {
      return;
    }
    if (entries.isEmpty()) {
      error(node, where + ": 'context' must not be empty; omit it instead");
    }
    for (Map.Entry<String, Node> e : entries.entrySet()) {
      String entryName = e.getKey();
      if (entryName.isEmpty() || entryName.length() > MAX_NAME_LENGTH || !printable(entryName)) {
        error(e.getValue(), where + ": context entry names must be 1 to " + MAX_NAME_LENGTH
            + " printable characters");
        continue;
      }
      String template = string(e.getValue(), where + " context." + quote(entryName));
      if (template == null) {
        continue;
      }
      try {
        values.add(ContextTemplate.parse(template));
        names.add(entryName);
      } catch (IllegalArgumentException bad) {
        error(e.getValue(), where + ": context." + quote(entryName) + ": " + bad.getMessage());
      }
    }
  }

  private static long operationBits(String name) {
    long bits = 0;
    for (Operation op : Operation.values()) {
      boolean selected =
          name.equals("all") || (name.equals("admin") && op.isAdmin()) || name.equals(op.policyName());
      if (selected) {
        bits |= Rule.bit(op);
      }
    }
    return bits;
  }

  private static String knownOperations() {
    StringBuilder known = new StringBuilder();
    for (Operation op : Operation.values()) {
      known.append(op.policyName()).append(", ");
    }
    return known.append("admin, all").toString();
  }

  /**
   * Reads a mapping with string keys, reporting duplicates and (when {@code allowed} is non-null)
   * unknown fields. Returns null if {@code node} is not a mapping.
   */
  private Map<String, Node> fields(Node node, String what, Set<String> allowed) {
    if (!(node instanceof MappingNode)) {
      error(node, what + " must be a mapping");
      return null;
    }
    Map<String, Node> result = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (NodeTuple tuple : ((MappingNode) node).getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode) || !SafeYaml.SCALAR_TAGS.contains(keyNode.getTag())) {
        error(keyNode, what + ": field names must be plain strings");
        continue;
      }
      String key = ((ScalarNode) keyNode).getValue();
      if (!seen.add(key)) {
        error(keyNode, what + ": duplicate field '" + quote(key) + "'");
        continue;
      }
      if (allowed != null && !allowed.contains(key)) {
        error(keyNode, "unknown field '" + quote(key) + "' in " + what + " (allowed: "
            + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
        continue;
      }
      result.put(key, tuple.getValueNode());
    }
    return result;
  }

  private String requiredString(Map<String, Node> f, Node parent, String field, String what) {
    Node node = f.get(field);
    if (node == null) {
      error(parent, what + ": missing required field '" + field + "'");
      return null;
    }
    return string(node, what + " " + field);
  }

  /** A scalar's text; null (after recording an error) for anything else. */
  private String string(Node node, String what) {
    if (node instanceof ScalarNode && SafeYaml.SCALAR_TAGS.contains(node.getTag())) {
      return ((ScalarNode) node).getValue();
    }
    if (node instanceof ScalarNode && node.getTag().equals(Tag.NULL)) {
      error(node, what + " must be a string, got nothing");
    } else if (node instanceof ScalarNode) {
      error(node, what + ": custom YAML tags are not allowed");
    } else {
      error(node, what + " must be a string, got a " + kind(node));
    }
    return null;
  }

  /** A non-empty list's items; an empty list (after recording an error) otherwise. */
  private List<Node> list(Node node, String what) {
    if (!(node instanceof SequenceNode)) {
      error(node, what + " must be a list, got a " + kind(node));
      return List.of();
    }
    List<Node> items = ((SequenceNode) node).getValue();
    if (items.isEmpty()) {
      error(node, what + " must not be empty");
    }
    return items;
  }

  private Glob glob(Node node, String what) {
    if (node == null) {
      return null;
    }
    String pattern = string(node, what);
    if (pattern == null) {
      return null;
    }
    try {
      return Glob.compile(pattern);
    } catch (IllegalArgumentException bad) {
      error(node, what + ": bad pattern '" + quote(pattern) + "': " + bad.getMessage());
      return null;
    }
  }

  private static String kind(Node node) {
    if (node instanceof MappingNode) {
      return "mapping";
    }
    return node instanceof SequenceNode ? "list" : "scalar";
  }

  private static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Quotes user text in an error: bounded, with control characters replaced. */
  private static String quote(String s) {
    int end = Math.min(s.length(), MAX_QUOTED);
    StringBuilder out = new StringBuilder(end + 3);
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return end < s.length() ? out.append("...").toString() : out.toString();
  }

  private static int lineOf(String error) {
    return Integer.parseInt(error.substring("line ".length(), error.indexOf(':')));
  }

  private void error(Node node, String message) {
    errors.add("line " + SafeYaml.line(node) + ": " + message);
  }
}
