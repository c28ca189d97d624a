package io.keyward.sidecar.proxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, strict reads from one parsed YAML map. Every failure names where it happened ("route
 * payments-egress, rules[0].key") so that an operator can find the line. Unknown settings are
 * rejected: a misspelt {@code encrypt} must not silently send plaintext upstream.
 */
final class ConfigMap {
  private final Map<String, Object> map;
  private final String where;

  ConfigMap(Map<?, ?> map, String where, Set<String> allowed) {
    this.where = where;
    this.map = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = String.valueOf(e.getKey());
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            where + ": unknown setting '" + key + "' (allowed: " + String.join(", ", allowed) + ")");
      }
      this.map.put(key, e.getValue());
    }
  }

  String where() {
    return where;
  }

  String where(String setting) {
    return where + ", " + setting;
  }

  boolean has(String key) {
    return map.get(key) != null;
  }

  String requiredString(String key) {
    Object v = map.get(key);
    if (v == null) {
      throw new IllegalArgumentException(where(key) + " is required");
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(where(key) + " must be a non-empty string, got " + describe(v));
    }
    return s.trim();
  }

  long longValue(String key, long defaultValue, long min, long max) {
    Object v = map.get(key);
    if (v == null) {
      return defaultValue;
    }
    long n;
    if (v instanceof Integer || v instanceof Long || v instanceof Short) {
      n = ((Number) v).longValue();
    } else if (v instanceof String s && s.trim().matches("-?[0-9]{1,18}")) {
      n = Long.parseLong(s.trim());
    } else {
      throw new IllegalArgumentException(where(key) + " must be a whole number, got " + describe(v));
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(
          where(key) + " must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  boolean booleanValue(String key, boolean defaultValue) {
    Object v = map.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equals("true") || s.equals("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException(where(key) + " must be true or false, got " + describe(v));
  }

  /** A list of maps; absent means empty. */
  List<Map<?, ?>> mapList(String key) {
    List<Map<?, ?>> out = new ArrayList<>();
    int i = 0;
    for (Object item : list(key)) {
      if (!(item instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException(
            where(key + "[" + i + "]") + " must be a map, got " + describe(item));
      }
      out.add(m);
      i++;
    }
    return out;
  }

  /** A list of non-empty strings; absent means empty. */
  List<String> stringList(String key) {
    List<String> out = new ArrayList<>();
    int i = 0;
    for (Object item : list(key)) {
      if (!(item instanceof String s) || s.isBlank()) {
        throw new IllegalArgumentException(
            where(key + "[" + i + "]") + " must be a non-empty string, got " + describe(item));
      }
      out.add(s.trim());
      i++;
    }
    return out;
  }

  /** A map of string to string; absent means empty. */
  Map<String, String> stringMap(String key) {
    Object v = map.get(key);
    Map<String, String> out = new LinkedHashMap<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(where(key) + " must be a map, got " + describe(v));
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String k = String.valueOf(e.getKey());
      Object value = e.getValue();
      if (!(value instanceof String s)) {
        throw new IllegalArgumentException(
            where(key + "." + k) + " must be a string, got " + describe(value));
      }
      out.put(k, s);
    }
    return out;
  }

  private List<?> list(String key) {
    Object v = map.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      throw new IllegalArgumentException(where(key) + " must be a list, got " + describe(v));
    }
    return l;
  }

  /** The type only for maps and lists, so that a misplaced secret never lands in a message. */
  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    if (v instanceof Map) {
      return "a map";
    }
    if (v instanceof List) {
      return "a list";
    }
    if (v instanceof Boolean || v instanceof Number) {
      return String.valueOf(v);
    }
    String s = String.valueOf(v);
    return s.length() > 80 ? "'" + s.substring(0, 80) + "...'" : "'" + s + "'";
  }
}
