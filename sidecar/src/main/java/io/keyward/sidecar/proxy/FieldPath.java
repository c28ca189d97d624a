package io.keyward.sidecar.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A configured field: a JSON Pointer ({@code /card/number}, RFC 6901) or a simple path ({@code
 * $.contacts[*].email}, {@code $.items[0].sku}, {@code $['odd key']}) where {@code [*]} matches
 * every element of an array. Matches are reported with their concrete JSON Pointer, which is the
 * one notation used for {@code {field}} in both directions. Documents are {@link
 * io.keyward.sidecar.json.JsonTree} values: objects are maps, arrays lists.
 */
final class FieldPath {
  /** One step of the path. */
  private sealed interface Step permits Token, Name, Index, AnyIndex {}

  /** A JSON Pointer token: an object member, or an array element if it is a canonical index. */
  private record Token(String token) implements Step {}

  private record Name(String name) implements Step {}

  private record Index(int index) implements Step {}

  private record AnyIndex() implements Step {}

  /** A value found in a document, with what is needed to replace it in place. */
  record Match(Object container, String member, int index, Object value, String pointer) {
    @SuppressWarnings("unchecked")
    void replace(Object replacement) {
      if (member != null) {
        ((Map<String, Object>) container).put(member, replacement); // keeps the member's place
      } else {
        ((List<Object>) container).set(index, replacement);
      }
    }
  }

  /** What {@link #indexes} holds for {@code [*]}. */
  private static final int ANY = -1;

  private final String source;
  private final List<Step> steps;
  // Per step, worked out once: selects() runs for every value of every streamed body.
  private final Integer[] indexes;
  private final String[] names;

  private FieldPath(String source, List<Step> steps) {
    this.source = source;
    this.steps = List.copyOf(steps);
    this.indexes = steps.stream().map(FieldPath::index).toArray(Integer[]::new);
    this.names = steps.stream().map(FieldPath::name).toArray(String[]::new);
  }

  static FieldPath parse(String spec, String where) {
    if (spec.startsWith("/")) {
      List<Step> steps = new ArrayList<>();
      for (String raw : spec.substring(1).split("/", -1)) {
        if (raw.matches(".*~(?![01]).*")) {
          throw new IllegalArgumentException(where + ": '~' in a JSON Pointer must be ~0 or ~1, got '"
              + spec + "'");
        }
        steps.add(new Token(raw.replace("~1", "/").replace("~0", "~")));
      }
      return new FieldPath(spec, steps);
    }
    if (spec.startsWith("$")) {
      return new FieldPath(spec, parseSimple(spec, where));
    }
    throw new IllegalArgumentException(where + " must be a JSON Pointer (/a/b) or a simple path"
        + " ($.a.b[*].c), got '" + spec + "'");
  }

  private static List<Step> parseSimple(String spec, String where) {
    List<Step> steps = new ArrayList<>();
    int i = 1;
    while (i < spec.length()) {
      char c = spec.charAt(i);
      if (c == '.') {
        int end = i + 1;
        while (end < spec.length() && isNameChar(spec.charAt(end))) {
          end++;
        }
        if (end == i + 1) {
          throw bad(spec, where, "a member name after '.' (letters, digits, '_' or '-')");
        }
        steps.add(new Name(spec.substring(i + 1, end)));
        i = end;
      } else if (spec.startsWith("[*]", i)) {
        steps.add(new AnyIndex());
        i += 3;
      } else if (spec.startsWith("['", i)) {
        int end = spec.indexOf("']", i + 2);
        if (end < 0) {
          throw bad(spec, where, "a closing '] after a quoted member name");
        }
        steps.add(new Name(spec.substring(i + 2, end)));
        i = end + 2;
      } else if (c == '[') {
        int end = spec.indexOf(']', i);
        String digits = end < 0 ? "" : spec.substring(i + 1, end);
        if (!digits.matches("0|[1-9][0-9]{0,8}")) {
          throw bad(spec, where, "an array index, [*] or ['name'] inside brackets");
        }
        steps.add(new Index(Integer.parseInt(digits)));
        i = end + 1;
      } else {
        throw bad(spec, where, "'.', '[' at position " + i);
      }
    }
    if (steps.isEmpty()) {
      throw bad(spec, where, "at least one step after '$'");
    }
    return steps;
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '-';
  }

  private static IllegalArgumentException bad(String spec, String where, String expected) {
    return new IllegalArgumentException(where + ": expected " + expected + " in '" + spec + "'");
  }

  /** Every value at this path in {@code root}, in document order; missing paths match nothing. */
  List<Match> find(Object root) {
    List<Match> out = new ArrayList<>();
    walk(root, 0, "", out);
    return out;
  }

  private void walk(Object node, int depth, String pointer, List<Match> out) {
    Step step = steps.get(depth);
    boolean last = depth == steps.size() - 1;
    if (step instanceof AnyIndex) {
      if (node instanceof List<?> array) {
        for (int i = 0; i < array.size(); i++) {
          visit(array, null, i, pointer + "/" + i, depth, last, out);
        }
      }
      return;
    }
    if (step instanceof Index idx) {
      if (node instanceof List<?> array && idx.index() < array.size()) {
        visit(array, null, idx.index(), pointer + "/" + idx.index(), depth, last, out);
      }
      return;
    }
    String name = step instanceof Name n ? n.name() : ((Token) step).token();
    if (node instanceof Map<?, ?> object && object.containsKey(name)) {
      visit(object, name, -1, pointer + "/" + escape(name), depth, last, out);
    } else if (step instanceof Token && node instanceof List<?> array
        && name.matches("0|[1-9][0-9]{0,8}") && Integer.parseInt(name) < array.size()) {
      int i = Integer.parseInt(name);
      visit(array, null, i, pointer + "/" + i, depth, last, out);
    }
  }

  private void visit(Object container, String member, int index, String pointer, int depth,
      boolean last, List<Match> out) {
    Object child = member != null ? ((Map<?, ?>) container).get(member)
        : ((List<?>) container).get(index);
    if (last) {
      out.add(new Match(container, member, index, child, pointer));
    } else {
      walk(child, depth + 1, pointer, out);
    }
  }

  /**
   * Whether this path selects the value at {@code position} (member names as Strings, array
   * indices as Integers, from the root): the streaming form of {@link #find}.
   */
  boolean selects(List<Object> position) {
    if (position.size() != steps.size()) {
      return false;
    }
    for (int i = 0; i < steps.size(); i++) {
      boolean accepted = position.get(i) instanceof Integer index
          ? indexes[i] != null && (indexes[i] == ANY || indexes[i].equals(index))
          : position.get(i).equals(names[i]);
      if (!accepted) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether two of these paths could select the same value, or one a value inside the other's.
   * Then applying them one after the other (each seeing what the earlier ones wrote) is not the
   * same as applying them all in one pass.
   */
  static boolean mayOverlap(List<FieldPath> paths) {
    for (int a = 0; a < paths.size(); a++) {
      for (int b = a + 1; b < paths.size(); b++) {
        if (samePrefix(paths.get(a), paths.get(b))) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean samePrefix(FieldPath a, FieldPath b) {
    for (int i = 0; i < Math.min(a.steps.size(), b.steps.size()); i++) {
      Integer ia = a.indexes[i];
      Integer ib = b.indexes[i];
      boolean sameName = a.names[i] != null && a.names[i].equals(b.names[i]);
      boolean sameIndex = ia != null && ib != null && (ia == ANY || ib == ANY || ia.equals(ib));
      if (!sameName && !sameIndex) {
        return false;
      }
    }
    return true;
  }

  /** The array index a step selects: ANY for [*], null if it selects no array element. */
  private static Integer index(Step step) {
    if (step instanceof AnyIndex) {
      return ANY;
    }
    if (step instanceof Index i) {
      return i.index();
    }
    return step instanceof Token t && t.token().matches("0|[1-9][0-9]{0,8}")
        ? Integer.valueOf(t.token()) : null;
  }

  /** The object member a step selects, or null. */
  private static String name(Step step) {
    return step instanceof Name n ? n.name() : step instanceof Token t ? t.token() : null;
  }

  static String escape(String member) {
    return member.replace("~", "~0").replace("/", "~1");
  }

  @Override
  public String toString() {
    return source;
  }
}
