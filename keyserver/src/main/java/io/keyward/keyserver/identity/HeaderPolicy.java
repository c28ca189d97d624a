package io.keyward.keyserver.identity;

import com.nimbusds.jose.JWSAlgorithm;
import java.util.Map;
import java.util.Set;

/**
 * What a token's JOSE header may say, checked on the raw header before any key is looked at.
 *
 * <p>Only asymmetric algorithms are allowed, so a public key can never be misused as an HMAC
 * secret, and {@code none} never passes. Key-carrying headers ({@code jwk}, {@code jku}, {@code
 * x5u}, {@code x5c}) are ignored rather than rejected: keys come only from the configured JWKS.
 */
final class HeaderPolicy {
  static final Set<JWSAlgorithm> ALLOWED_ALGORITHMS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA);

  /** Kubernetes sets no {@code typ}; SPIFFE JWT-SVIDs may set {@code JWT} or {@code JOSE}. */
  private static final Set<String> ALLOWED_TYPES = Set.of("JWT", "JOSE");

  private HeaderPolicy() {}

  /** @return the allowed algorithm the header names */
  static JWSAlgorithm check(Map<String, Object> header) throws TokenRejectedException {
    Object alg = header.get("alg");
    if (!(alg instanceof String)) {
      throw new TokenRejectedException("header has no alg");
    }
    JWSAlgorithm algorithm = ALLOWED_ALGORITHMS.stream()
        .filter(a -> a.getName().equals(alg))
        .findFirst()
        .orElseThrow(() -> new TokenRejectedException("algorithm not allowed: " + LogSafe.quote(alg)));
    // We implement no extension that a "crit" header could name (e.g. b64=false), so any is fatal.
    if (header.containsKey("crit")) {
      throw new TokenRejectedException("critical header not understood");
    }
    Object typ = header.get("typ");
    if (typ != null && !(typ instanceof String && ALLOWED_TYPES.contains(((String) typ).toUpperCase(java.util.Locale.ROOT)))) {
      throw new TokenRejectedException("token type not allowed: " + LogSafe.quote(typ));
    }
    return algorithm;
  }
}
