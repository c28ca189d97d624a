package io.keyward.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Dotted field paths into JSON documents: {@code customer.ssn}, {@code items.*.secret}; {@code *}
 * is any field of an object or any element of an array, a number is an array index.
 */
final class JsonPaths {
  /** A place that holds a value: a field name of an object, or an index into an array. */
  record Slot(JsonNode parent, String field, int index) {
    JsonNode value() {
      return field != null ? parent.get(field) : parent.get(index);
    }
  }

  private JsonPaths() {}

  static List<String> split(String path) {
    if (path == null || path.isBlank()) {
      throw CliException.usage("a JSON field path must not be empty");
    }
    String p = path.startsWith("$.") ? path.substring(2) : path;
    List<String> parts = List.of(p.split("\\.", -1));
    if (parts.stream().anyMatch(String::isEmpty)) {
      throw CliException.usage("bad JSON field path '" + path + "': empty segment");
    }
    return parts;
  }

  static List<Slot> slots(JsonNode doc, String path) {
    List<Slot> out = new ArrayList<>();
    walk(doc, split(path), 0, out);
    return out;
  }

  private static void walk(JsonNode node, List<String> parts, int i, List<Slot> out) {
    String part = parts.get(i);
    boolean last = i == parts.size() - 1;
    if (node.isObject()) {
      if (part.equals("*")) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
          step(node, name, -1, parts, i, last, out);
        }
      } else if (node.has(part)) {
        step(node, part, -1, parts, i, last, out);
      }
    } else if (node.isArray()) {
      if (part.equals("*")) {
        for (int k = 0; k < node.size(); k++) {
          step(node, null, k, parts, i, last, out);
        }
      } else if (part.chars().allMatch(Character::isDigit) && part.length() < 9
          && Integer.parseInt(part) < node.size()) {
        step(node, null, Integer.parseInt(part), parts, i, last, out);
      }
    }
  }

  private static void step(JsonNode parent, String field, int index, List<String> parts, int i, boolean last,
      List<Slot> out) {
    Slot slot = new Slot(parent, field, index);
    if (last) {
      out.add(slot);
    } else {
      walk(slot.value(), parts, i + 1, out);
    }
  }
}
