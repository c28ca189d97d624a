package io.keyward.keyserver.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A precompiled name pattern. {@code *} matches any run of characters within one part, parts
 * being separated by {@code :} or {@code /}; {@code **} matches any run, separators included.
 * Every other character is literal. Matching is linear in pattern size times name length, never
 * backtracks and never compiles a regex, so a hostile name cannot make it slow.
 */
final class Glob {
  static final int MAX_LENGTH = 256;
  private static final String RESERVED = "?[]{}\\!";

  private enum Kind { EXACT, PREFIX_PART, PREFIX_ANY, GENERAL }

  private final String pattern;
  private final Kind kind;
  private final String literal; // for EXACT and the two PREFIX kinds
  private final String[] literals; // GENERAL: literal tokens, null where a wildcard stands
  private final boolean[] crossesSeparators; // GENERAL: for wildcard tokens, true for **

  private Glob(String pattern, Kind kind, String literal, String[] literals, boolean[] crosses) {
    this.pattern = pattern;
    this.kind = kind;
    this.literal = literal;
    this.literals = literals;
    this.crossesSeparators = crosses;
  }

  /**
   * Compiles a pattern.
   *
   * @throws IllegalArgumentException with a message fit for a validation error
   */
  static Glob compile(String pattern) {
    if (pattern.isEmpty()) {
      throw new IllegalArgumentException("pattern must not be empty");
    }
    if (pattern.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "pattern is longer than " + MAX_LENGTH + " characters (" + pattern.length() + ")");
    }
    List<String> tokens = new ArrayList<>();
    List<Boolean> crosses = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        throw new IllegalArgumentException("pattern must not contain whitespace or control characters");
      }
      if (RESERVED.indexOf(c) >= 0) {
        throw new IllegalArgumentException("pattern uses reserved character '" + c + "'");
      }
      if (c != '*') {
        lit.append(c);
        continue;
      }
      int stars = 1;
      while (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
        stars++;
        i++;
      }
      if (stars > 2) {
        throw new IllegalArgumentException("pattern has " + stars + " '*' in a row; use * or **");
      }
      if (lit.length() > 0) {
        tokens.add(lit.toString());
        crosses.add(false);
        lit.setLength(0);
      }
      tokens.add(null);
      crosses.add(stars == 2);
    }
    if (lit.length() > 0) {
      tokens.add(lit.toString());
      crosses.add(false);
    }
    if (!tokens.contains(null)) {
      return new Glob(pattern, Kind.EXACT, pattern, null, null);
    }
    int last = tokens.size() - 1;
    if (tokens.get(last) == null && tokens.indexOf(null) == last) {
      String prefix = last == 0 ? "" : tokens.get(0);
      return new Glob(pattern, crosses.get(last) ? Kind.PREFIX_ANY : Kind.PREFIX_PART, prefix, null, null);
    }
    boolean[] crossArray = new boolean[crosses.size()];
    for (int i = 0; i < crossArray.length; i++) {
      crossArray[i] = crosses.get(i);
    }
    return new Glob(pattern, Kind.GENERAL, null, tokens.toArray(new String[0]), crossArray);
  }

  boolean matches(String name) {
    switch (kind) {
      case EXACT:
        return literal.equals(name);
      case PREFIX_ANY:
        return name.startsWith(literal);
      case PREFIX_PART:
        return name.startsWith(literal) && noSeparator(name, literal.length(), name.length());
      default:
        return matchesGeneral(name);
    }
  }

  /** Tracks the set of name positions reachable after each token. */
  private boolean matchesGeneral(String name) {
    int n = name.length();
    boolean[] reach = new boolean[n + 1];
    boolean[] next = new boolean[n + 1];
    reach[0] = true;
    for (int t = 0; t < literals.length; t++) {
      String lit = literals[t];
      java.util.Arrays.fill(next, false);
      boolean any = false;
      if (lit != null) {
        for (int i = 0; i + lit.length() <= n; i++) {
          if (reach[i] && name.startsWith(lit, i)) {
            next[i + lit.length()] = true;
            any = true;
          }
        }
      } else {
        boolean open = false;
        for (int j = 0; j <= n; j++) {
          if (j > 0 && !crossesSeparators[t] && isSeparator(name.charAt(j - 1))) {
            open = false; // a single * cannot run across a separator
          }
          open |= reach[j];
          next[j] = open;
          any |= open;
        }
      }
      if (!any) {
        return false;
      }
      boolean[] swap = reach;
      reach = next;
      next = swap;
    }
    return reach[n];
  }

  private static boolean noSeparator(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (isSeparator(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isSeparator(char c) {
    return c == ':' || c == '/';
  }

  @Override
  public String toString() {
    return pattern;
  }
}
