package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringReader;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The YAML typing the sidecar's config has always had (it was jackson-dataformat-yaml's): these
 * expectations are what that reader produced for the same text.
 */
class ConfigYamlTest {
  static Object read(String yaml) throws ConfigYaml.InvalidYaml {
    return ConfigYaml.read(new StringReader(yaml));
  }

  static int errorLine(String yaml) {
    return assertThrows(ConfigYaml.InvalidYaml.class, () -> read(yaml), yaml).line;
  }

  @Test
  void plainScalarsFollowYaml11() throws Exception {
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("yes", true);
    expected.put("off", false);
    expected.put("y", "y");
    expected.put("quoted", "true");
    expected.put("hex", 31);
    expected.put("octal", 15);
    expected.put("binary", 5);
    expected.put("underscores", 1000);
    expected.put("plus", 5);
    expected.put("long", 12345678901L);
    expected.put("big", new BigInteger("9223372036854775808"));
    expected.put("float", 1000.0);
    expected.put("base60", "1:30");
    expected.put("date", "2001-12-14");
    expected.put("tilde", null);
    expected.put("empty", null);
    expected.put("emptyQuoted", "");
    assertEquals(expected, read("""
        yes: Yes
        off: OFF
        y: y
        quoted: 'true'
        hex: 0x1F
        octal: 017
        binary: 0b101
        underscores: 1_000
        plus: +5
        long: 12345678901
        big: 9223372036854775808
        float: 1e3
        base60: 1:30
        date: 2001-12-14
        tilde: ~
        empty:
        emptyQuoted: ''
        """));
  }

  @Test
  void tagsChooseTypesButNeverConstructObjects() throws Exception {
    assertEquals(Map.of("a", "123", "b", 42, "c", "bar", "d", "aGVsbG8=",
            "e", List.of("java.lang.Object")),
        read("a: !!str 123\nb: !!int '42'\nc: !foo bar\nd: !!binary |\n  aGVs\n  bG8=\n"
            + "e: !!java.util.ArrayList [java.lang.Object]\n"));
  }

  @Test
  void aliasesAreTheirAnchorsNameAndMergeKeysAreKeys() throws Exception {
    assertEquals(Map.of("base", Map.of("x", 1), "other", Map.of("<<", "b", "y", 2)),
        read("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n"));
  }

  @Test
  void aRepeatedKeyKeepsItsFirstPlaceAndLastValue() throws Exception {
    Object read = read("a: 1\nb: 2\na: 3\n");
    assertEquals(List.of("a", "b"), List.copyOf(((Map<?, ?>) read).keySet()));
    assertEquals(3, ((Map<?, ?>) read).get("a"));
  }

  @Test
  void onlyTheFirstDocumentCounts() throws Exception {
    assertNull(read(""));
    assertNull(read("# nothing\n"));
    assertNull(read("~\n"));
    assertEquals(Map.of("a", 1), read("a: 1\n---\nb: 2\n"));
  }

  @Test
  void errorsSayWhereTheReaderHadGot() {
    assertEquals(List.of(10, 1, 1, 2, 1, 1, 1, 0, 0),
        Arrays.asList(
            errorLine("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\nz: .inf\n"),
            errorLine("? [a, b]\n: c\n"),
            errorLine("*x : 1\n"),
            errorLine("a:\n  - b\n  c: d\n"),
            errorLine("a: !!int 08\n"),
            errorLine("a: !!binary '***'\n"),
            errorLine("a: [\n"),
            errorLine("a: " + "1".repeat(1001) + "\n"),
            errorLine("a: " + "[".repeat(1001) + "]".repeat(1001) + "\n")));
  }
}
