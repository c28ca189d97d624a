package io.keyward.sidecar.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.keyward.sidecar.json.JsonTree.Fractions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins what the sidecar wrote when its trees were jackson-databind's: the expected texts below are
 * databind's output for the same input, so rewritten proxy bodies stay byte-identical.
 */
class JsonTreeTest {
  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String roundTrip(String json) throws Exception {
    return new String(JsonTree.toBytes(JsonTree.parse(utf8(json), Fractions.EXACT)),
        StandardCharsets.UTF_8);
  }

  @Test
  void writesNumbersAsTheDatabindTreeDid() throws Exception {
    List<String> failures = new ArrayList<>();
    for (String[] v : new String[][] {
        {"1.10", "1.10"}, {"10.50", "10.50"}, {"-0.0", "0.0"}, {"1e3", "1E+3"}, {"1E+3", "1E+3"},
        {"0.0000001", "1E-7"}, {"1.5e-400", "1.5E-400"}, {"-0", "0"}, {"2147483648", "2147483648"},
        {"123456789012345678901234567890", "123456789012345678901234567890"},
        {"-9223372036854775809", "-9223372036854775809"}}) {
      String got = roundTrip("[" + v[0] + "]");
      if (!got.equals("[" + v[1] + "]")) {
        failures.add(v[0] + " -> " + got);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void keepsMemberOrderStringsAndLiteralsCompact() throws Exception {
    assertEquals("{\"z\":1,\"a\":[true,false,null],\"m\":{\"\":\"\"},\"s\":\"é\\n\\u0001/\\\"\"}",
        roundTrip(" {\"z\" : 1, \"a\":[ true,false ,null],\n\"m\":{\"\":\"\"},"
            + "\"s\":\"\\u00e9\\n\\u0001\\/\\\"\"}"));
    assertEquals("\"top\"", roundTrip("\"top\""));
  }

  @Test
  void blankInputHoldsNoValueAndNullIsNull() throws Exception {
    assertSame(JsonTree.NO_VALUE, JsonTree.parse(utf8(""), Fractions.EXACT));
    assertSame(JsonTree.NO_VALUE, JsonTree.parse(utf8(" \n\t"), Fractions.DOUBLE));
    assertNull(JsonTree.parse(utf8("null"), Fractions.EXACT));
    assertEquals(Map.of("a", 1.5), JsonTree.parse(utf8("{\"a\":1.5}"), Fractions.DOUBLE));
  }

  @Test
  void repeatedNamesAndTrailingDataAreErrorsWithTheirPlace() {
    List<String> failures = new ArrayList<>();
    for (String[] v : new String[][] {
        {"{\"a\":1,\"a\":2}", "1:11"}, {"{\"a\":1\n,\n\"a\":3}", "3:4"}, {"{\"a\":1} {}", "1:9"},
        {"\t[1]\n  garbage", "2:3"}, {"{\"a\":1}}", "1:8"}, {"[1 2]", "1:4"}, {"[1", "1:3"},
        {"{'a':1}", "1:2"}, {"[01]", "1:3"}, {"[NaN]", "1:5"}, {"/* c */ {}", "1:1"}}) {
      try {
        Object parsed = JsonTree.parse(new ByteArrayInputStream(utf8(v[0])), Fractions.DOUBLE);
        failures.add(v[0] + " parsed as " + parsed);
      } catch (JsonProcessingException e) {
        String at = e.getLocation().getLineNr() + ":" + e.getLocation().getColumnNr();
        if (!at.equals(v[1])) {
          failures.add(v[0] + " failed at " + at + ", not " + v[1]);
        }
      } catch (Exception e) {
        failures.add(v[0] + " threw " + e);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void writesOnlyJsonValues() {
    assertThrows(IllegalArgumentException.class, () -> JsonTree.toBytes(List.of(new Object())));
  }
}
