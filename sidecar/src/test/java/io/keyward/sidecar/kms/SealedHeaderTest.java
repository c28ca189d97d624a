package io.keyward.sidecar.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SealedHeaderTest {
  private static byte[] blob(int purpose, int declaredNameLength, String name, int version, int bodyLength) {
    byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(2 + n.length + 4 + 28 + bodyLength);
    b.put((byte) purpose).put((byte) declaredNameLength).put(n).putInt(version);
    return b.array();
  }

  @Test
  void parsesNameAndVersion() {
    assertEquals(new SealedHeader("k8s-secrets", 7), SealedHeader.parse(blob(2, 11, "k8s-secrets", 7, 48)));
  }

  @Test
  void rejectsEveryMalformedHeader() {
    Map<String, byte[]> cases = new LinkedHashMap<>();
    cases.put("empty", new byte[0]);
    cases.put("too short", new byte[20]);
    cases.put("data-key purpose", blob(1, 3, "key", 1, 48));
    cases.put("unknown purpose", blob(9, 3, "key", 1, 48));
    cases.put("zero name length", blob(2, 0, "", 1, 48));
    cases.put("name longer than blob", blob(2, 200, "key", 1, 16));
    cases.put("name over 128", blob(2, 129, "k".repeat(129), 1, 16));
    cases.put("no tag", blob(2, 3, "key", 1, 0));
    cases.put("version 0", blob(2, 3, "key", 0, 48));
    cases.put("negative version", blob(2, 3, "key", -1, 48));
    cases.put("colon in name", blob(2, 3, "k:y", 1, 48));
    cases.put("non-ASCII name", blob(2, 3, "k\u00e9y", 1, 48));
    cases.put("leading dot", blob(2, 3, ".ey", 1, 48));

    List<String> failures = new ArrayList<>();
    cases.forEach((name, blob) -> {
      try {
        SealedHeader h = SealedHeader.parse(blob);
        failures.add(name + ": accepted as " + h);
      } catch (IllegalArgumentException e) {
        if (!e.getMessage().equals("ciphertext is malformed")) {
          failures.add(name + ": message " + e.getMessage());
        }
      }
    });
    assertEquals(List.of(), failures);
  }
}
