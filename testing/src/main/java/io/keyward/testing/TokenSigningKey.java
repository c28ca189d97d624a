package io.keyward.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;

/** A freshly generated signing key pair: the signer and the public JWK that verifies it. */
final class TokenSigningKey {
  /** X.509 SubjectPublicKeyInfo of an Ed25519 key is this 12-byte prefix + the 32-byte key. */
  private static final int ED25519_SPKI_PREFIX_LENGTH = 12;

  private final JWSSigner signer;
  private final JWK publicJwk;

  private TokenSigningKey(JWSSigner signer, JWK publicJwk) {
    this.signer = signer;
    this.publicJwk = publicJwk;
  }

  static TokenSigningKey generate(JWSAlgorithm alg, String keyId) {
    try {
      if (JWSAlgorithm.RS256.equals(alg) || JWSAlgorithm.PS256.equals(alg)) {
        RSAKey key = new RSAKeyGenerator(2048).keyID(keyId).keyUse(KeyUse.SIGNATURE).algorithm(alg).generate();
        return new TokenSigningKey(new RSASSASigner(key), key.toPublicJWK());
      }
      if (JWSAlgorithm.ES256.equals(alg)) {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID(keyId).keyUse(KeyUse.SIGNATURE).algorithm(alg).generate();
        return new TokenSigningKey(new ECDSASigner(key), key.toPublicJWK());
      }
      if (JWSAlgorithm.EdDSA.equals(alg)) {
        return generateEd25519(keyId);
      }
    } catch (JOSEException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + alg + " key", e);
    }
    throw new IllegalArgumentException("unsupported algorithm " + alg + "; use RS256, PS256, ES256 or EdDSA");
  }

  /** An RSA signing key (RS256 or PS256) from a private JWK, e.g. one saved by a dev issuer. */
  static TokenSigningKey fromRsa(RSAKey key) {
    if (!key.isPrivate()) {
      throw new IllegalArgumentException("the JWK has no private part");
    }
    try {
      return new TokenSigningKey(new RSASSASigner(key), key.toPublicJWK());
    } catch (JOSEException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the JWK is not a usable RSA signing key");
    }
  }

  /** A new RSA 2048 key, kept as a private JWK so that it can be saved. */
  static RSAKey generateRsaJwk(JWSAlgorithm alg, String keyId) {
    try {
      return new RSAKeyGenerator(2048).keyID(keyId).keyUse(KeyUse.SIGNATURE).algorithm(alg).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate an RSA key", e);
    }
  }

  private static TokenSigningKey generateEd25519(String keyId) throws GeneralSecurityException {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] spki = pair.getPublic().getEncoded();
    byte[] x = Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX_LENGTH, spki.length);
    OctetKeyPair jwk =
        new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x))
            .keyID(keyId)
            .keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.EdDSA)
            .build();
    return new TokenSigningKey(new JdkEd25519Signer(pair.getPrivate()), jwk);
  }

  JWSSigner signer() {
    return signer;
  }

  JWK publicJwk() {
    return publicJwk;
  }
}
