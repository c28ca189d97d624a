package io.keyward.keyserver.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The signature layer: checks a parsed JWS against an issuer's trusted keys and nothing else (no
 * claims), so that it can also be driven by JWS test vectors whose payload is not a JWT.
 */
final class SignatureCheck {
  private SignatureCheck() {}

  /**
   * Passes only when one of {@code trusted} keys, matched by {@code kid} and {@code alg}, verifies
   * the signature. An unknown {@code kid} asks {@code trusted} for one (rate-limited) reload.
   */
  static void verify(JWSObject jws, TrustedKeys trusted) throws TokenRejectedException {
    List<JWK> candidates = candidates(jws, trusted);
    if (candidates.isEmpty() && trusted.refreshForUnknownKey()) {
      candidates = candidates(jws, trusted);
    }
    if (candidates.isEmpty()) {
      throw new TokenRejectedException("no trusted key for kid " + LogSafe.quote(jws.getHeader().getKeyID()));
    }
    for (JWK key : candidates) {
      try {
        if (jws.verify(verifierFor(key))) {
          return;
        }
      } catch (JOSEException | IllegalStateException e) {
        // A malformed signature for this key type counts as a failed verification.
      }
    }
    throw new TokenRejectedException("signature invalid");
  }

  private static List<JWK> candidates(JWSObject jws, TrustedKeys trusted) {
    return trusted.keys().stream().filter(k -> KeyMatch.canVerify(k, jws.getHeader())).collect(Collectors.toList());
  }

  private static JWSVerifier verifierFor(JWK key) throws JOSEException {
    if (key instanceof RSAKey) {
      return new RSASSAVerifier((RSAKey) key);
    }
    if (key instanceof ECKey) {
      return new ECDSAVerifier((ECKey) key);
    }
    if (key instanceof OctetKeyPair) {
      return new JdkEd25519Verifier((OctetKeyPair) key);
    }
    throw new JOSEException("unsupported key type " + key.getKeyType());
  }
}
