package io.keyward.keyserver.policy;

import io.keyward.keyserver.identity.WorkloadIdentity;
import java.util.ArrayList;
import java.util.List;

/**
 * The required value of one encryption-context entry: literal text and {@code {placeholder}}s,
 * e.g. {@code "{namespace}"} or {@code "{namespace}/{serviceAccount}"}. Braces are reserved.
 */
final class ContextTemplate {
  enum Result { MATCH, MISMATCH, PLACEHOLDER_MISSING }

  private final String[] literals; // null where a placeholder stands
  private final Placeholder[] placeholders;

  private ContextTemplate(String[] literals, Placeholder[] placeholders) {
    this.literals = literals;
    this.placeholders = placeholders;
  }

  /** @throws IllegalArgumentException with a message fit for a validation error */
  static ContextTemplate parse(String template) {
    if (template.isEmpty()) {
      throw new IllegalArgumentException("value must not be empty");
    }
    List<String> literals = new ArrayList<>();
    List<Placeholder> placeholders = new ArrayList<>();
    int i = 0;
    while (i < template.length()) {
      int open = template.indexOf('{', i);
      int close = template.indexOf('}', i);
      if (close >= 0 && (open < 0 || close < open)) {
        throw new IllegalArgumentException("'}' without '{'");
      }
      if (open < 0) {
        literals.add(template.substring(i));
        placeholders.add(null);
        break;
      }
      if (open > i) {
        literals.add(template.substring(i, open));
        placeholders.add(null);
      }
      if (close < 0) {
        throw new IllegalArgumentException("'{' without '}'");
      }
      String name = template.substring(open + 1, close);
      Placeholder placeholder = Placeholder.byDocumentName(name);
      if (placeholder == null) {
        throw new IllegalArgumentException(
            "unknown placeholder {" + abbreviate(name) + "}; known: {issuer}, {subject}, "
                + "{namespace}, {serviceAccount}, {pod}, {spiffeTrustDomain}");
      }
      literals.add(null);
      placeholders.add(placeholder);
      i = close + 1;
    }
    return new ContextTemplate(
        literals.toArray(new String[0]), placeholders.toArray(new Placeholder[0]));
  }

  /** Compares without building the expected string. */
  Result check(String actual, WorkloadIdentity caller) {
    for (Placeholder p : placeholders) {
      if (p != null && p.valueOf(caller) == null) {
        return Result.PLACEHOLDER_MISSING;
      }
    }
    if (actual == null) {
      return Result.MISMATCH;
    }
    int pos = 0;
    for (int i = 0; i < literals.length; i++) {
      String part = literals[i] != null ? literals[i] : placeholders[i].valueOf(caller);
      if (!actual.startsWith(part, pos)) {
        return Result.MISMATCH;
      }
      pos += part.length();
    }
    return pos == actual.length() ? Result.MATCH : Result.MISMATCH;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
