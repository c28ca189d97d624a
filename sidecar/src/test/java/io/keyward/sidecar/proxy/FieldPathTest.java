package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldPathTest {
  static final String DOC = """
      {"a":{"b/c":"slash","m~n":"tilde","0":"zero-member"},
       "list":[{"x":"x0"},{"y":"no x"},{"x":"x2"}],
       "nested":[[{"v":"00"}],[{"v":"10"},{"v":"11"}]],
       "odd key":"odd","num":5}""";

  static List<String> pointers(String spec) throws Exception {
    JsonNode root = JsonRewriter.MAPPER.readTree(DOC);
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
    JsonNode root = JsonRewriter.MAPPER.readTree(DOC);
    FieldPath.parse("$.list[*].x", "t").find(root).forEach(m -> m.replace(TextNode.valueOf("R")));
    FieldPath.parse("/a/b~1c", "t").find(root).forEach(m -> m.replace(TextNode.valueOf("S")));
    assertEquals("R", root.at("/list/0/x").textValue());
    assertEquals("no x", root.at("/list/1/y").textValue());
    assertEquals("R", root.at("/list/2/x").textValue());
    assertEquals("S", root.at("/a/b~1c").textValue());
  }

  @Test
  void malformedSpecsAreRejected() {
    for (String bad : List.of("a.b", "$", "$.", "$.a[", "$.a[-1]", "$.a['x", "$..a", "/a~", "$.a b")) {
      assertThrows(IllegalArgumentException.class, () -> FieldPath.parse(bad, "t"), bad);
    }
  }
}
