package io.keyward.keyserver.identity;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.ByteBuffer;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifies workload JWTs (Kubernetes projected service-account tokens, SPIFFE JWT-SVIDs) against
 * one or more trusted issuers. Thread-safe; create one per server with {@link #create}.
 *
 * <p>A token is accepted only if all of these hold: it is a compact JWS of at most 8 KiB; its
 * {@code alg} is RS256, PS256, ES256 or EdDSA (never {@code none} or HMAC); it has no {@code crit}
 * header; its {@code iss} names a configured issuer; a key from that issuer's configured JWKS,
 * matched by {@code kid}, verifies the signature (keys named or carried in the token's {@code
 * jwk}, {@code jku}, {@code x5u} or {@code x5c} headers are never used); {@code exp} is present
 * and not passed, {@code nbf} and {@code iat} are not in the future, each within the clock skew;
 * {@code aud} contains the configured audience; and the subject is a well-formed service account
 * or SPIFFE ID.
 */
public final class JwtTokenVerifier implements TokenVerifier {
  private final Map<String, IssuerKeys> issuers;
  private final ClaimsPolicy claimsPolicy;
  private final VerifiedTokenCache cache;
  private final AtomicLong signatureChecks = new AtomicLong();

  private JwtTokenVerifier(IdentitySettings settings) {
    Map<String, IssuerKeys> byIssuer = new LinkedHashMap<>();
    for (TrustedIssuer issuer : settings.issuers()) {
      byIssuer.put(
          issuer.issuer(),
          new IssuerKeys(
              issuer.issuer(),
              loaderFor(issuer),
              settings.clock(),
              settings.jwksRefreshMinInterval(),
              settings.jwksMaxAge()));
    }
    this.issuers = Map.copyOf(byIssuer);
    this.claimsPolicy = new ClaimsPolicy(settings.audience(), settings.clockSkew(), settings.clock());
    this.cache = new VerifiedTokenCache(settings.tokenCacheMaxEntries(), settings.tokenCacheMaxAge(), settings.clock());
  }

  /**
   * Creates a verifier. Keys are loaded lazily, on the first token of each issuer, so a JWKS
   * endpoint that is briefly down does not stop the server from starting.
   *
   * @throws IllegalArgumentException if a {@code caFile} cannot be used
   * @throws java.io.UncheckedIOException if a {@code caFile} cannot be read
   */
  public static JwtTokenVerifier create(IdentitySettings settings) {
    return new JwtTokenVerifier(settings);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A token seen before and still unexpired is answered from a cache keyed by its SHA-256,
   * without a second signature check; the entry never outlives the token's {@code exp}.
   */
  @Override
  public WorkloadIdentity verify(String bearerToken) throws TokenRejectedException {
    CompactJws.checkLength(bearerToken);
    // A hit means this exact string passed every check below and has not expired since; parsing
    // it again (regex, base64, JSON: the largest cost of a cached call) could not change that.
    ByteBuffer digest = VerifiedTokenCache.digest(bearerToken);
    Optional<WorkloadIdentity> cached = cache.get(digest);
    if (cached.isPresent()) {
      return cached.get(); // this exact string passed every check below, and has not expired
    }
    JWSObject jws = CompactJws.parse(bearerToken);
    JWTClaimsSet claims = claims(jws);
    // The issuer is read before the signature is checked only to choose which keys to check with.
    if (claims.getIssuer() == null) {
      throw new TokenRejectedException("missing iss");
    }
    IssuerKeys keys = issuers.get(claims.getIssuer());
    if (keys == null) {
      throw new TokenRejectedException("unknown issuer " + LogSafe.quote(claims.getIssuer()));
    }
    signatureChecks.incrementAndGet();
    SignatureCheck.verify(jws, keys);
    claimsPolicy.check(claims, claims.getIssuer());
    WorkloadIdentity identity = IdentityMapper.map(claims);
    cache.put(digest, identity);
    return identity;
  }

  @Override
  public boolean answersFromMemory(String bearerToken) {
    return bearerToken.length() <= CompactJws.MAX_LENGTH
        && cache.get(VerifiedTokenCache.digest(bearerToken)).isPresent();
  }

  /** Full signature checks done so far (cache misses that reached the signature layer). */
  long signatureChecks() {
    return signatureChecks.get();
  }

  /** JWKS load attempts for one issuer so far. */
  long jwksLoadAttempts(String issuer) {
    return issuers.get(issuer).loadAttempts();
  }

  private static JWTClaimsSet claims(JWSObject jws) throws TokenRejectedException {
    try {
      return JWTClaimsSet.parse(jws.getPayload().toJSONObject());
    } catch (ParseException | RuntimeException e) {
      throw new TokenRejectedException("malformed claims");
    }
  }

  private static JwksLoader loaderFor(TrustedIssuer issuer) {
    if (issuer.jwksFile().isPresent()) {
      return new FileJwksLoader(issuer.jwksFile().get());
    }
    HttpFetcher http = new HttpFetcher(issuer.caFile());
    if (issuer.jwksUrl().isPresent()) {
      return new HttpJwksLoader(issuer.jwksUrl().get(), http);
    }
    return new DiscoveryJwksLoader(issuer.issuer(), http);
  }
}
