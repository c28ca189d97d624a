package io.keyward.keyserver.identity;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * The claims layer, run after the signature passed: {@code iss} exact, {@code aud} contains ours,
 * {@code exp} required and not passed, {@code nbf} and {@code iat} not in the future. The skew
 * applies to every time check; "now" comes only from the injected clock.
 */
final class ClaimsPolicy {
  private final String audience;
  private final Duration skew;
  private final Clock clock;

  ClaimsPolicy(String audience, Duration skew, Clock clock) {
    this.audience = audience;
    this.skew = skew;
    this.clock = clock;
  }

  void check(JWTClaimsSet claims, String expectedIssuer) throws TokenRejectedException {
    if (!expectedIssuer.equals(claims.getIssuer())) {
      throw new TokenRejectedException("issuer mismatch");
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new TokenRejectedException("missing exp");
    }
    if (!now.minus(skew).isBefore(exp.toInstant())) {
      throw new TokenRejectedException("expired");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
      throw new TokenRejectedException("not yet valid (nbf in the future)");
    }
    Date iat = claims.getIssueTime();
    if (iat != null && now.plus(skew).isBefore(iat.toInstant())) {
      throw new TokenRejectedException("issued in the future (iat)");
    }
    List<String> aud = claims.getAudience();
    if (!aud.contains(audience)) {
      throw new TokenRejectedException("audience mismatch");
    }
  }
}
