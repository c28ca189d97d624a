package io.keyward.keyserver.identity;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;

/**
 * Whether a trusted key may verify a token with a given header. Only {@code kid} and {@code alg}
 * of the header take part; the key's own {@code use}, {@code key_ops}, {@code alg} and curve must
 * all permit it.
 */
final class KeyMatch {
  private KeyMatch() {}

  static boolean canVerify(JWK key, JWSHeader header) {
    JWSAlgorithm alg = header.getAlgorithm();
    String kid = header.getKeyID();
    if (kid != null && !kid.equals(key.getKeyID())) {
      return false;
    }
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      return false;
    }
    if (key.getKeyOperations() != null && !key.getKeyOperations().contains(KeyOperation.VERIFY)) {
      return false;
    }
    if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(alg.getName())) {
      return false;
    }
    if (JWSAlgorithm.RS256.equals(alg) || JWSAlgorithm.PS256.equals(alg)) {
      return key instanceof RSAKey;
    }
    if (JWSAlgorithm.ES256.equals(alg)) {
      return key instanceof ECKey && Curve.P_256.equals(((ECKey) key).getCurve());
    }
    if (JWSAlgorithm.EdDSA.equals(alg)) {
      return key instanceof OctetKeyPair && Curve.Ed25519.equals(((OctetKeyPair) key).getCurve());
    }
    return false;
  }
}
