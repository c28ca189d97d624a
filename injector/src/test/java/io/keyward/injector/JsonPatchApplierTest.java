package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The test applier is itself tested: a lenient applier would let a broken patch pass. */
class JsonPatchApplierTest {
  private static JsonNode json(String s) {
    return Fixtures.parse(s.replace('\'', '"').getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static JsonNode apply(String doc, String patch) {
    return JsonPatchApplier.apply(json(doc), json(patch));
  }

  @Test
  void addsInsertsAppendsAndEscapes() {
    assertEquals(json("{'a':[0,1,2],'m':{'x/y':1,'t~':2}}"), apply("{'a':[1]}",
        "[{'op':'add','path':'/a/0','value':0},{'op':'add','path':'/a/-','value':2},"
            + "{'op':'add','path':'/m','value':{}},{'op':'add','path':'/m/x~1y','value':1},{'op':'add','path':'/m/t~0','value':2}]"));
    assertEquals(json("{'a':[1,9,2]}"), apply("{'a':[1,2]}", "[{'op':'add','path':'/a/1','value':9}]"));
    assertEquals(json("{'b':1}"), apply("{'a':1}", "[{'op':'move','from':'/a','path':'/b'}]"));
    assertEquals(json("{'a':2}"), apply("{'a':1}", "[{'op':'test','path':'/a','value':1},{'op':'replace','path':'/a','value':2}]"));
    assertEquals(json("{}"), apply("{'a':1}", "[{'op':'remove','path':'/a'}]"));
  }

  @Test
  void refusesWhatRfc6902Refuses() {
    String[][] bad = {
        {"{'a':[1]}", "[{'op':'add','path':'/a/2','value':0}]"},
        {"{'a':[1]}", "[{'op':'add','path':'/a/01','value':0}]"},
        {"{}", "[{'op':'add','path':'/missing/x','value':0}]"},
        {"{}", "[{'op':'add','path':'a','value':0}]"},
        {"{}", "[{'op':'add','path':'/a'}]"},
        {"{}", "[{'op':'remove','path':'/a'}]"},
        {"{'a':1}", "[{'op':'replace','path':'/b','value':0}]"},
        {"{'a':1}", "[{'op':'test','path':'/a','value':2}]"},
        {"{'a':1}", "[{'op':'frobnicate','path':'/a'}]"},
        {"{'a':1}", "[{'op':'add','path':'/a~2','value':0}]"},
        {"{'a':1}", "{'op':'add'}"},
    };
    for (String[] c : bad) {
      assertThrows(IllegalArgumentException.class, () -> apply(c[0], c[1]), c[1]);
    }
  }
}
