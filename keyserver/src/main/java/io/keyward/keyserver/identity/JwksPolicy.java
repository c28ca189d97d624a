package io.keyward.keyserver.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.math.BigInteger;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses a JWKS document and decides which of its keys we trust.
 *
 * <p>A document that is ambiguous or dangerous is refused whole: private key material (the
 * publisher leaked it), a symmetric key (could turn into an HMAC secret), or two keys with the
 * same {@code kid}. Single keys too weak to trust (RSA below 2048 bits, a bad public exponent, a
 * ROCA-generated modulus) are dropped with a warning while the rest stay usable.
 */
final class JwksPolicy {
  static final int MIN_RSA_BITS = 2048;
  /** A JWKS of a few keys is a few KiB; this bounds what we parse from a file or the network. */
  static final int MAX_DOCUMENT_CHARS = 512 * 1024;

  private static final Logger log = LoggerFactory.getLogger(JwksPolicy.class);

  private JwksPolicy() {}

  static List<JWK> parse(String json) throws InvalidJwksException {
    if (json.length() > MAX_DOCUMENT_CHARS) {
      throw new InvalidJwksException("JWKS larger than " + MAX_DOCUMENT_CHARS + " chars");
    }
    JWKSet set;
    try {
      set = JWKSet.parse(json);
    } catch (ParseException | RuntimeException e) {
      throw new InvalidJwksException("not a valid JWKS document");
    }
    Set<String> kids = new HashSet<>();
    List<JWK> trusted = new ArrayList<>();
    for (JWK key : set.getKeys()) {
      if (key instanceof OctetSequenceKey) {
        throw new InvalidJwksException("JWKS contains a symmetric key (kid " + LogSafe.quote(key.getKeyID()) + ")");
      }
      if (key.isPrivate()) {
        throw new InvalidJwksException("JWKS contains private key material (kid " + LogSafe.quote(key.getKeyID()) + ")");
      }
      if (key.getKeyID() != null && !kids.add(key.getKeyID())) {
        throw new InvalidJwksException("JWKS has two keys with kid " + LogSafe.quote(key.getKeyID()));
      }
      String weakness = weakness(key);
      if (weakness != null) {
        log.warn("ignoring JWKS key {}: {}", LogSafe.quote(key.getKeyID()), weakness);
      } else {
        trusted.add(key);
      }
    }
    return List.copyOf(trusted);
  }

  /** Why a single key must not be used, or null. */
  private static String weakness(JWK key) {
    if (!(key instanceof RSAKey)) {
      return null;
    }
    RSAKey rsa = (RSAKey) key;
    BigInteger n = rsa.getModulus().decodeToBigInteger();
    BigInteger e = rsa.getPublicExponent().decodeToBigInteger();
    if (n.bitLength() < MIN_RSA_BITS) {
      return "RSA modulus has " + n.bitLength() + " bits, need at least " + MIN_RSA_BITS;
    }
    if (e.compareTo(BigInteger.valueOf(3)) < 0 || !e.testBit(0)) {
      return "RSA public exponent must be odd and at least 3";
    }
    if (RocaFingerprint.matches(n)) {
      return "RSA modulus has the ROCA (CVE-2017-15361) fingerprint";
    }
    return null;
  }
}
