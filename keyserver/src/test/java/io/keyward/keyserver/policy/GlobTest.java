package io.keyward.keyserver.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GlobTest {
  @Test
  void matchingTable() {
    Object[][] cases = {
      {"payments", "payments", true},
      {"payments", "payment", false},
      {"payments-*", "payments-eu", true},
      {"payments-*", "payments-eu:1", false},
      {"payments-**", "payments-eu:1", true},
      {"*", "", true},
      {"*", "a/b", false},
      {"**", "a/b:c", true},
      {"system:serviceaccount:*:app", "system:serviceaccount:ns:app", true},
      {"system:serviceaccount:*:app", "system:serviceaccount:ns:sub:app", false},
      {"system:serviceaccount:**:app", "system:serviceaccount:ns:sub:app", true},
      {"system:serviceaccount:*:*", "system:serviceaccount:ns:app", true},
      {"system:serviceaccount:*:*", "system:serviceaccount:ns", false},
      {"spiffe://td/ns/*/sa/*", "spiffe://td/ns/a/sa/b", true},
      {"spiffe://td/ns/*/sa/*", "spiffe://td/ns/a/x/sa/b", false},
      {"spiffe://**/sa/b", "spiffe://td/ns/a/sa/b", true},
      {"*-key", "a-key", true},
      {"*-key", "a/b-key", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "abc", true},
      {"a*b*c", "aXc", false},
      {"a*b*c", "aXbYcZ", false},
      {"a**c", "a:b/c", true},
    };
    List<String> failures = new ArrayList<>();
    for (Object[] c : cases) {
      boolean actual = Glob.compile((String) c[0]).matches((String) c[1]);
      if (actual != (Boolean) c[2]) {
        failures.add(c[0] + " vs '" + c[1] + "' gave " + actual);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void badPatternsAreRejected() {
    List<String> accepted = new ArrayList<>();
    for (String bad : new String[] {"", "a***", "a b", "key?", "[ab]", "{x}", "a\\b", "x".repeat(257)}) {
      try {
        Glob.compile(bad);
        accepted.add(bad);
      } catch (IllegalArgumentException expected) {
        // rejected, as it should be
      }
    }
    assertEquals(List.of(), accepted);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Glob.compile("a***"));
    assertEquals("pattern has 3 '*' in a row; use * or **", e.getMessage());
  }

  @Test
  void pathologicalInputStaysLinear() {
    Glob glob = Glob.compile("*a*a*a*a*a*a*a*a*a*a*a*a*b");
    String name = "a".repeat(10_000);
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertEquals(false, glob.matches(name)));
  }
}
