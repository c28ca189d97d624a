package io.keyward.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A small, strict RFC 6902 applier (add, remove, replace, test, move, copy) for tests: applying
 * the injector's patch to the pod is what proves the patch is valid, not the patch text.
 */
final class JsonPatchApplier {
  private JsonPatchApplier() {}

  /** Applies {@code patch} to a deep copy of {@code doc}; throws on any invalid operation. */
  static JsonNode apply(JsonNode doc, JsonNode patch) {
    if (!patch.isArray()) {
      throw new IllegalArgumentException("patch must be an array");
    }
    JsonNode root = doc.deepCopy();
    for (JsonNode op : patch) {
      String path = required(op, "path");
      switch (required(op, "op")) {
        case "add" -> root = add(root, path, value(op));
        case "remove" -> root = remove(root, path);
        case "replace" -> {
          get(root, path);
          root = add(remove(root, path), path, value(op));
        }
        case "test" -> {
          if (!get(root, path).equals(value(op))) {
            throw new IllegalArgumentException("test failed at " + path);
          }
        }
        case "move" -> {
          String from = required(op, "from");
          if (path.startsWith(from + "/")) {
            throw new IllegalArgumentException("cannot move " + from + " into itself");
          }
          JsonNode v = get(root, from);
          root = add(remove(root, from), path, v);
        }
        case "copy" -> root = add(root, path, get(root, required(op, "from")).deepCopy());
        default -> throw new IllegalArgumentException("unknown op " + op.path("op"));
      }
    }
    return root;
  }

  private static String required(JsonNode op, String field) {
    if (!op.path(field).isTextual()) {
      throw new IllegalArgumentException("operation lacks '" + field + "': " + op);
    }
    return op.path(field).asText();
  }

  private static JsonNode value(JsonNode op) {
    if (!op.has("value")) {
      throw new IllegalArgumentException("operation lacks 'value': " + op);
    }
    return op.get("value").deepCopy();
  }

  static List<String> tokens(String pointer) {
    if (pointer.isEmpty()) {
      return List.of();
    }
    if (!pointer.startsWith("/")) {
      throw new IllegalArgumentException("pointer must start with '/': " + pointer);
    }
    List<String> out = new ArrayList<>();
    for (String raw : pointer.substring(1).split("/", -1)) {
      if (raw.matches(".*~(?![01]).*")) {
        throw new IllegalArgumentException("bad escape in " + pointer);
      }
      out.add(raw.replace("~1", "/").replace("~0", "~"));
    }
    return out;
  }

  static JsonNode get(JsonNode root, String pointer) {
    JsonNode node = root;
    for (String t : tokens(pointer)) {
      node = child(node, t, pointer);
    }
    return node;
  }

  private static JsonNode child(JsonNode node, String token, String pointer) {
    if (node.isObject()) {
      if (!node.has(token)) {
        throw new IllegalArgumentException("no member '" + token + "' in " + pointer);
      }
      return node.get(token);
    }
    if (node.isArray()) {
      int i = index(token, node.size() - 1, pointer);
      return node.get(i);
    }
    throw new IllegalArgumentException("cannot descend into a scalar at " + pointer);
  }

  private static int index(String token, int max, String pointer) {
    if (!token.matches("0|[1-9][0-9]*")) {
      throw new IllegalArgumentException("bad array index '" + token + "' in " + pointer);
    }
    int i = Integer.parseInt(token);
    if (i > max) {
      throw new IllegalArgumentException("array index " + i + " out of bounds in " + pointer);
    }
    return i;
  }

  private static JsonNode add(JsonNode root, String pointer, JsonNode value) {
    List<String> t = tokens(pointer);
    if (t.isEmpty()) {
      return value;
    }
    JsonNode parent = root;
    for (String s : t.subList(0, t.size() - 1)) {
      parent = child(parent, s, pointer);
    }
    String last = t.get(t.size() - 1);
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode a = (ArrayNode) parent;
      if (last.equals("-")) {
        a.add(value);
      } else {
        a.insert(index(last, a.size(), pointer), value);
      }
    } else {
      throw new IllegalArgumentException("parent of " + pointer + " is a scalar");
    }
    return root;
  }

  private static JsonNode remove(JsonNode root, String pointer) {
    List<String> t = tokens(pointer);
    if (t.isEmpty()) {
      throw new IllegalArgumentException("cannot remove the whole document");
    }
    JsonNode parent = root;
    for (String s : t.subList(0, t.size() - 1)) {
      parent = child(parent, s, pointer);
    }
    String last = t.get(t.size() - 1);
    if (parent.isObject()) {
      if (!parent.has(last)) {
        throw new IllegalArgumentException("no member '" + last + "' to remove at " + pointer);
      }
      ((ObjectNode) parent).remove(last);
    } else if (parent.isArray()) {
      ((ArrayNode) parent).remove(index(last, parent.size() - 1, pointer));
    } else {
      throw new IllegalArgumentException("parent of " + pointer + " is a scalar");
    }
    return root;
  }
}
