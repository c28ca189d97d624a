package io.keyward.sidecar.proxy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The encryption context of a rule: entry name to a template of literal text and placeholders
 * {@code {field}} (the concrete JSON Pointer of the value), {@code {method}}, {@code {path}} (the
 * decoded request path) and {@code {header:Name}} (the request header, which must occur exactly
 * once). {@code {{} and {@code }}} stand for literal braces.
 */
final class ContextTemplate {
  private sealed interface Part permits Literal, Field, Method, Path, Header {}

  private record Literal(String text) implements Part {}

  private record Field() implements Part {}

  private record Method() implements Part {}

  private record Path() implements Part {}

  private record Header(String name) implements Part {}

  private final Map<String, List<Part>> entries;
  private final Set<String> headers;

  private ContextTemplate(Map<String, List<Part>> entries, Set<String> headers) {
    this.entries = entries;
    this.headers = headers;
  }

  static ContextTemplate parse(Map<String, String> raw, String where) {
    Map<String, List<Part>> entries = new LinkedHashMap<>();
    Set<String> headers = new LinkedHashSet<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      if (e.getKey().isEmpty()) {
        throw new IllegalArgumentException(where + ": context entry names must not be empty");
      }
      List<Part> parts = parseTemplate(e.getValue(), where + "." + e.getKey());
      for (Part p : parts) {
        if (p instanceof Header h) {
          headers.add(h.name());
        }
      }
      entries.put(e.getKey(), List.copyOf(parts));
    }
    return new ContextTemplate(Collections.unmodifiableMap(entries), Set.copyOf(headers));
  }

  private static List<Part> parseTemplate(String template, String where) {
    List<Part> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (template.startsWith("{{", i) || template.startsWith("}}", i)) {
        literal.append(c);
        i += 2;
      } else if (c == '{') {
        int end = template.indexOf('}', i);
        if (end < 0) {
          throw new IllegalArgumentException(where + ": unclosed '{' in '" + template + "'");
        }
        String name = template.substring(i + 1, end);
        Part part;
        if (name.equals("field")) {
          part = new Field();
        } else if (name.equals("method")) {
          part = new Method();
        } else if (name.equals("path")) {
          part = new Path();
        } else if (name.startsWith("header:") && name.substring(7).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
          part = new Header(name.substring(7));
        } else {
          throw new IllegalArgumentException(where + ": unknown placeholder {" + name
              + "} (allowed: {field}, {method}, {path}, {header:Name}; use {{ and }} for braces)");
        }
        if (literal.length() > 0) {
          parts.add(new Literal(literal.toString()));
          literal.setLength(0);
        }
        parts.add(part);
        i = end + 1;
      } else if (c == '}') {
        throw new IllegalArgumentException(where + ": stray '}' in '" + template + "' (use }})");
      } else {
        literal.append(c);
        i++;
      }
    }
    if (literal.length() > 0 || parts.isEmpty()) {
      parts.add(new Literal(literal.toString()));
    }
    return parts;
  }

  /** Names of the request headers the templates read. */
  Set<String> headerNames() {
    return headers;
  }

  /**
   * The context for a value at {@code fieldPointer} of an exchange.
   *
   * @throws IllegalStateException naming the header when a header the templates read is missing
   *     or repeated in the request (the message holds no header value)
   */
  Map<String, String> render(String fieldPointer, RequestFacts request) {
    for (String h : headers) {
      if (!request.headers().containsKey(h)) {
        throw new IllegalStateException("header " + h
            + " is used in the encryption context and must occur exactly once in the request");
      }
    }
    Map<String, String> context = new LinkedHashMap<>();
    for (Map.Entry<String, List<Part>> e : entries.entrySet()) {
      StringBuilder value = new StringBuilder();
      for (Part p : e.getValue()) {
        if (p instanceof Literal l) {
          value.append(l.text());
        } else if (p instanceof Field) {
          value.append(fieldPointer);
        } else if (p instanceof Method) {
          value.append(request.method());
        } else if (p instanceof Path) {
          value.append(request.path());
        } else {
          value.append(request.headers().get(((Header) p).name()));
        }
      }
      context.put(e.getKey(), value.toString());
    }
    return context;
  }

  /**
   * What the templates may read of a request, captured once on the event loop: {@code headers}
   * holds the headers of {@link #headerNames()} that occur exactly once.
   */
  record RequestFacts(String method, String path, Map<String, String> headers) {}
}
