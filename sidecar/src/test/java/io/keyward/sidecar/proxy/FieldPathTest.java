package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sidecar.json.JsonTree;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldPathTest {
  static final String DOC = """
      {"a":{"b/c":"slash","m~n":"tilde","0":"zero-member"},
       "list":[{"x":"x0"},{"y":"no x"},{"x":"x2"}],
       "nested":[[{"v":"00"}],[{"v":"10"},{"v":"11"}]],
       "odd key":"odd","num":5}""";

  static Object doc() throws Exception {
    return JsonTree.parse(DOC.getBytes(StandardCharsets.UTF_8), JsonTree.Fractions.EXACT);
  }

  static List<String> pointers(String spec) throws Exception {
    Object root = doc();
    return FieldPath.parse(spec, "test").find(root).stream().map(FieldPath.Match::pointer).toList();
  }

  @Test
  void jsonPointersFollowRfc6901Escapes() throws Exception {
    assertEquals(List.of("/a/b~1c"), pointers("/a/b~1c"));
    assertEquals(List.of("/a/m~0n"), pointers("/a/m~0n"));
    assertEquals(List.of("/a/0"), pointers("/a/0"));
    assertEquals(List.of("/list/2/x"), pointers("/list/2/x"));
    assertEquals(List.of(), pointers("/list/07/x"));
    assertEquals(List.of(), pointers("/missing/x"));
    assertEquals(List.of(), pointers("/num/x"));
  }

  @Test
  void simplePathsHaveWildcardsIndicesAndQuotedNames() throws Exception {
    assertEquals(List.of("/list/0/x", "/list/2/x"), pointers("$.list[*].x"));
    assertEquals(List.of("/list/1/y"), pointers("$.list[1].y"));
    assertEquals(List.of("/nested/0/0/v", "/nested/1/0/v", "/nested/1/1/v"), pointers("$.nested[*][*].v"));
    assertEquals(List.of("/odd key"), pointers("$['odd key']"));
    assertEquals(List.of(), pointers("$.a[*]"), "[*] matches array elements only");
    assertEquals(List.of(), pointers("$.list[9].x"));
  }

  @Test
  void matchesReplaceInPlace() throws Exception {
    Object root = doc();
    FieldPath.parse("$.list[*].x", "t").find(root).forEach(m -> m.replace("R"));
    FieldPath.parse("/a/b~1c", "t").find(root).forEach(m -> m.replace("S"));
    Map<?, ?> object = (Map<?, ?>) root;
    List<?> list = (List<?>) object.get("list");
    assertEquals(Map.of("x", "R"), list.get(0));
    assertEquals(Map.of("y", "no x"), list.get(1));
    assertEquals(Map.of("x", "R"), list.get(2));
    assertEquals("S", ((Map<?, ?>) object.get("a")).get("b/c"));
    assertEquals(List.of("a", "list", "nested", "odd key", "num"), List.copyOf(object.keySet()),
        "member order is kept");
  }

  @Test
  void selectsPositionsAsFindDoes() {
    assertTrue(FieldPath.parse("$.list[*].x", "t").selects(List.of("list", 7, "x")));
    assertFalse(FieldPath.parse("$.list[*].x", "t").selects(List.of("list", "7", "x")));
    assertTrue(FieldPath.parse("/a/0", "t").selects(List.of("a", 0)));
    assertTrue(FieldPath.parse("/a/0", "t").selects(List.of("a", "0")));
    assertFalse(FieldPath.parse("/a/07", "t").selects(List.of("a", 7)));
    assertFalse(FieldPath.parse("$.a[1]", "t").selects(List.of("a", "1")));
    assertFalse(FieldPath.parse("/a/b", "t").selects(List.of("a")));
  }

  @Test
  void overlapIsWhenOnePathCouldSelectTheSameValueOrOneInside() {
    for (List<String> overlapping : List.of(List.of("/a", "/a/b"), List.of("/a/b", "/a"),
        List.of("/a", "/a"), List.of("$.l[*]", "/l/3/x"), List.of("/l/0", "$.l[0]"),
        List.of("$['k']", "/k"))) {
      assertTrue(FieldPath.mayOverlap(overlapping.stream()
          .map(s -> FieldPath.parse(s, "t")).toList()), overlapping.toString());
    }
    for (List<String> apart : List.of(List.of("/a", "/b"), List.of("$.l[0]", "$.l[1]"),
        List.of("$.l[*].x", "$.l[*].y"), List.of("$.a[*]", "/a/b"), List.of("/a"))) {
      assertFalse(FieldPath.mayOverlap(apart.stream()
          .map(s -> FieldPath.parse(s, "t")).toList()), apart.toString());
    }
  }

  @Test
  void malformedSpecsAreRejected() {
    for (String bad : List.of("a.b", "$", "$.", "$.a[", "$.a[-1]", "$.a['x", "$..a", "/a~", "$.a b")) {
      assertThrows(IllegalArgumentException.class, () -> FieldPath.parse(bad, "t"), bad);
    }
  }
}
