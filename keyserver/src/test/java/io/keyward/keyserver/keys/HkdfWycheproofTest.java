package io.keyward.keyserver.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.testing.Wycheproof;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Project Wycheproof's HKDF-SHA256 vectors through the keyserver's HKDF. */
class HkdfWycheproofTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void everyVectorBehavesAsItsResultSays() {
    JsonNode file = Wycheproof.load("hkdf_sha256_test.json");
    List<String> failures = new ArrayList<>();
    int ran = 0;
    for (JsonNode group : file.get("testGroups")) {
      for (JsonNode test : group.get("tests")) {
        ran++;
        String id = "tcId " + test.get("tcId").asInt();
        byte[] ikm = HEX.parseHex(test.get("ikm").asText());
        byte[] salt = HEX.parseHex(test.get("salt").asText());
        byte[] info = HEX.parseHex(test.get("info").asText());
        int size = test.get("size").asInt();
        boolean valid = !test.get("result").asText().equals("invalid");
        try {
          byte[] okm = HkdfSha256.derive(ikm, salt, info, size);
          if (!valid) {
            failures.add(id + ": accepted an invalid case");
          } else if (!Arrays.equals(okm, HEX.parseHex(test.get("okm").asText()))) {
            failures.add(id + ": wrong output");
          }
        } catch (IllegalArgumentException e) {
          if (valid) {
            failures.add(id + ": rejected a valid case: " + e.getMessage());
          }
        }
      }
    }
    assertEquals(file.get("numberOfTests").asInt(), ran, "not every vector ran");
    assertTrue(failures.isEmpty(), failures.toString());
  }
}
