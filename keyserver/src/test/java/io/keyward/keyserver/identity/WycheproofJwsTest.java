package io.keyward.keyserver.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.testing.Wycheproof;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Project Wycheproof JWS and JWK vectors against the signature layer ({@link CompactJws} +
 * {@link SignatureCheck}) with the group's key run through {@link JwksPolicy} as the trusted
 * JWKS. The vectors' payloads are not JWTs (no exp/aud), so the claims layer is not involved.
 *
 * <p>Every case runs. A case must be accepted exactly when Wycheproof calls it valid and its
 * {@code alg} is one we allow (RS256, PS256, ES256, EdDSA); valid vectors for other algorithms
 * (HS*, RS384, PS512, ES512, ...) must be rejected by design. Groups that only carry a symmetric
 * (private) key are run with that key offered as the JWKS, which {@link JwksPolicy} must refuse.
 */
class WycheproofJwsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void jsonWebSignatureVectors() {
    Outcome outcome = run("json_web_signature_test.json");
    assertEquals(List.of(), outcome.failures);
    assertEquals(401, outcome.ran, "every vector must run");
    assertEquals(outcome.declared, outcome.ran);
    assertEquals(16, outcome.accepted, "the valid RS256/PS256/ES256 vectors are accepted");
  }

  @Test
  void jsonWebKeyVectors() {
    Outcome outcome = run("json_web_key_test.json");
    assertEquals(List.of(), outcome.failures);
    assertEquals(26, outcome.ran, "every vector must run");
    assertEquals(outcome.declared, outcome.ran);
    assertEquals(1, outcome.accepted, "only the plain RS256 key set is acceptable");
  }

  private static final class Outcome {
    final List<String> failures = new ArrayList<>();
    int declared;
    int ran;
    int accepted;
  }

  private static Outcome run(String file) {
    JsonNode root = Wycheproof.load(file);
    Outcome outcome = new Outcome();
    outcome.declared = root.get("numberOfTests").asInt();
    for (JsonNode group : root.get("testGroups")) {
      JsonNode key = group.has("public") ? group.get("public") : group.get("private");
      String jwks = key.has("keys") ? key.toString() : "{\"keys\":[" + key + "]}";
      TrustedKeys trusted;
      try {
        trusted = TrustedKeys.fixed(JwksPolicy.parse(jwks));
      } catch (InvalidJwksException e) {
        trusted = null; // the whole key set is refused: every token of the group must fail
      }
      for (JsonNode test : group.get("tests")) {
        outcome.ran++;
        JsonNode jwsNode = test.get("jws");
        String jws = jwsNode.isTextual() ? jwsNode.asText() : jwsNode.toString();
        boolean expected = "valid".equals(test.get("result").asText())
            && HeaderPolicy.ALLOWED_ALGORITHMS.stream().anyMatch(a -> a.getName().equals(headerAlg(jws)));
        boolean accepted = trusted != null && accepts(jws, trusted);
        if (accepted) {
          outcome.accepted++;
        }
        if ("acceptable".equals(test.get("result").asText())) {
          continue;
        }
        if (accepted != expected) {
          outcome.failures.add(file + " tcId " + test.get("tcId") + " (" + group.get("comment").asText() + ", "
              + test.get("comment").asText() + "): expected " + (expected ? "accept" : "reject"));
        }
      }
    }
    return outcome;
  }

  private static boolean accepts(String jws, TrustedKeys trusted) {
    try {
      SignatureCheck.verify(CompactJws.parse(jws), trusted);
      return true;
    } catch (TokenRejectedException e) {
      return false;
    }
  }

  /** The header's alg, read independently of the code under test; null when unreadable. */
  private static String headerAlg(String jws) {
    try {
      JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(jws.substring(0, jws.indexOf('.'))));
      return header.path("alg").asText(null);
    } catch (Exception e) {
      return null;
    }
  }
}
