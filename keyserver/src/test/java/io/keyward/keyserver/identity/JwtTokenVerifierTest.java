package io.keyward.keyserver.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real tokens signed by real keys against a verifier reading a real JWKS file. */
class JwtTokenVerifierTest {
  static final String ISSUER = "https://kubernetes.default.svc.cluster.local";

  private final FakeClock clock = FakeClock.startingAt2026();
  @TempDir Path dir;
  private TestTokenIssuer cluster;
  private JwtTokenVerifier verifier;

  @BeforeEach
  void setUp() {
    cluster = TestTokenIssuer.builder().issuer(ISSUER).clock(clock).build();
    verifier = verifierTrusting(cluster);
  }

  private JwtTokenVerifier verifierTrusting(TestTokenIssuer... keys) {
    Path jwks = TestTokenIssuer.writeJwks(dir.resolve("jwks.json"), keys);
    return JwtTokenVerifier.create(settings().addIssuer(TrustedIssuer.builder(ISSUER).jwksFile(jwks).build()).build());
  }

  private IdentitySettings.Builder settings() {
    return IdentitySettings.builder().audience("keyward").clockSkew(Duration.ofSeconds(30)).clock(clock);
  }

  private String rejectionOf(String token) {
    return assertThrows(TokenRejectedException.class, () -> verifier.verify(token)).getMessage();
  }

  // ---- accepted tokens and identity mapping

  @ParameterizedTest
  @ValueSource(strings = {"RS256", "PS256", "ES256", "EdDSA"})
  void acceptsEachAllowedAlgorithm(String alg) throws Exception {
    TestTokenIssuer issuer =
        TestTokenIssuer.builder().issuer(ISSUER).algorithm(JWSAlgorithm.parse(alg)).clock(clock).build();
    verifier = verifierTrusting(issuer);

    WorkloadIdentity id = verifier.verify(issuer.kubernetesToken("payments", "api"));

    assertEquals(ISSUER, id.issuer());
    assertEquals("system:serviceaccount:payments:api", id.subject());
    assertEquals(Optional.of("payments"), id.namespace());
    assertEquals(Optional.of("api"), id.serviceAccount());
    assertEquals(clock.instant().plus(Duration.ofHours(1)), id.expiresAt());
  }

  @Test
  void mapsKubernetesClaimsIncludingPod() throws Exception {
    String token = cluster.token()
        .subject("system:serviceaccount:payments:api")
        .audience("other", "keyward")
        .kubernetes("payments", "api", "api-7d9f-xk2")
        .sign();

    WorkloadIdentity id = verifier.verify(token);

    assertEquals(Optional.of("payments"), id.namespace());
    assertEquals(Optional.of("api"), id.serviceAccount());
    assertEquals(Optional.of("api-7d9f-xk2"), id.pod());
    assertEquals(Optional.empty(), id.spiffeTrustDomain());
  }

  @Test
  void mapsServiceAccountFromSubjectWhenClaimsAbsent() throws Exception {
    WorkloadIdentity id = verifier.verify(
        cluster.token().subject("system:serviceaccount:billing:worker.v2").audience("keyward").sign());

    assertEquals(Optional.of("billing"), id.namespace());
    assertEquals(Optional.of("worker.v2"), id.serviceAccount());
    assertEquals(Optional.empty(), id.pod());
  }

  @Test
  void mapsSpiffeId() throws Exception {
    WorkloadIdentity id = verifier.verify(cluster.spiffeToken("spiffe://prod.example.org/ns/payments/sa/api"));

    assertEquals("spiffe://prod.example.org/ns/payments/sa/api", id.subject());
    assertEquals(Optional.of("prod.example.org"), id.spiffeTrustDomain());
    assertEquals(Optional.empty(), id.namespace());
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "system:serviceaccount:payments",
    "system:serviceaccount:payments:api:extra",
    "system:serviceaccount:Payments:api",
    "system:serviceaccount::api",
    "system:serviceaccount:payments:",
    "spiffe://",
    "spiffe://Example.org/x",
    "spiffe://example.org/",
    "spiffe://example.org//x",
    "spiffe://example.org/a/../b",
    "spiffe://example.org/x?y=1",
    "spiffe://user@example.org/x",
    "spiffe://example.org:8443/x",
    "alice",
    "SPIFFE://example.org/x",
  })
  void rejectsMalformedSubjects(String subject) {
    String token = cluster.token().subject(subject).audience("keyward").sign();

    assertThrows(TokenRejectedException.class, () -> verifier.verify(token));
  }

  @Test
  void rejectsMissingAndOversizedSubject() {
    assertEquals("missing subject", rejectionOf(cluster.token().audience("keyward").sign()));
    String longId = "spiffe://example.org/" + "a".repeat(3000);
    assertEquals("subject too long", rejectionOf(cluster.token().subject(longId).audience("keyward").sign()));
  }

  @Test
  void rejectsKubernetesClaimsThatContradictTheSubject() {
    String token = cluster.token()
        .subject("system:serviceaccount:payments:api")
        .audience("keyward")
        .kubernetes("kube-system", "api", null)
        .sign();

    assertEquals("kubernetes.io claims contradict the subject", rejectionOf(token));
  }

  @Test
  void rejectsMalformedKubernetesClaim() {
    String token = cluster.token()
        .subject("system:serviceaccount:payments:api")
        .audience("keyward")
        .claim("kubernetes.io", Map.of("namespace", List.of("payments")))
        .sign();

    assertEquals("malformed kubernetes.io claim", rejectionOf(token));
  }

  // ---- time claims

  @Test
  void expiredBeyondSkewIsRejectedWithinSkewAccepted() throws Exception {
    String expiredLongAgo = subjectToken().expiresAt(clock.instant().minusSeconds(31)).sign();
    String expiredJustNow = subjectToken().expiresAt(clock.instant().minusSeconds(29)).sign();

    assertEquals("expired", rejectionOf(expiredLongAgo));
    assertEquals("payments", verifier.verify(expiredJustNow).namespace().orElseThrow());
  }

  @Test
  void notBeforeInTheFutureBeyondSkewIsRejectedWithinSkewAccepted() throws Exception {
    String tooEarly = subjectToken().notBefore(clock.instant().plusSeconds(31)).sign();
    String slightlyEarly = subjectToken().notBefore(clock.instant().plusSeconds(29)).sign();

    assertEquals("not yet valid (nbf in the future)", rejectionOf(tooEarly));
    assertEquals("payments", verifier.verify(slightlyEarly).namespace().orElseThrow());
  }

  @Test
  void issuedInTheFutureBeyondSkewIsRejected() throws Exception {
    String fromTheFuture = subjectToken().issuedAt(clock.instant().plusSeconds(31)).sign();
    String slightlyAhead = subjectToken().issuedAt(clock.instant().plusSeconds(29)).sign();

    assertEquals("issued in the future (iat)", rejectionOf(fromTheFuture));
    assertEquals("payments", verifier.verify(slightlyAhead).namespace().orElseThrow());
  }

  @Test
  void missingExpiryIsRejected() {
    assertEquals("missing exp", rejectionOf(subjectToken().withoutExpiry().sign()));
  }

  @Test
  void zeroSkewIsExact() throws Exception {
    verifier = JwtTokenVerifier.create(settings()
        .clockSkew(Duration.ZERO)
        .addIssuer(TrustedIssuer.builder(ISSUER).jwksFile(cluster.writeJwks(dir.resolve("zero.json"))).build())
        .build());

    assertEquals("expired", rejectionOf(subjectToken().expiresAt(clock.instant()).sign()));
    assertEquals("payments", verifier.verify(subjectToken().expiresAt(clock.instant().plusSeconds(1)).sign())
        .namespace().orElseThrow());
  }

  // ---- issuer and audience

  @Test
  void wrongIssuerIsRejected() {
    assertEquals("unknown issuer \"https://evil.example\"",
        rejectionOf(subjectToken().issuer("https://evil.example").sign()));
    assertEquals("missing iss", rejectionOf(subjectToken().issuer(null).sign()));
  }

  @Test
  void wrongOrMissingAudienceIsRejected() {
    assertEquals("audience mismatch", rejectionOf(subjectToken().audience("vault").sign()));
    assertEquals("audience mismatch", rejectionOf(subjectToken().audience("keyward-evil").sign()));
    assertEquals("audience mismatch", rejectionOf(cluster.token().subject("system:serviceaccount:a:b").sign()));
  }

  // ---- header and signature attacks

  @Test
  void algNoneIsRejected() {
    String claims = b64(claimsJson());
    assertEquals("algorithm not allowed: \"none\"", rejectionOf(b64("{\"alg\":\"none\"}") + "." + claims + ".c2ln"));
    assertEquals("algorithm not allowed: \"NONE\"", rejectionOf(b64("{\"alg\":\"NONE\"}") + "." + claims + ".c2ln"));
    // The unsecured form with an empty signature is not even a JWS.
    assertEquals("not a compact JWS", rejectionOf(b64("{\"alg\":\"none\"}") + "." + claims + "."));
  }

  @Test
  void hmacSignedWithThePublicKeyIsRejected() throws Exception {
    RSAKey publicKey = (RSAKey) cluster.publicJwk();
    byte[] der = publicKey.toRSAPublicKey().getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END PUBLIC KEY-----\n";

    for (byte[] secret : List.of(der, pem.getBytes(StandardCharsets.US_ASCII))) {
      SignedJWT forged = new SignedJWT(
          new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(cluster.keyId()).build(), JWTClaimsSet.parse(claimsJson()));
      forged.sign(new MACSigner(secret));

      assertEquals("algorithm not allowed: \"HS256\"", rejectionOf(forged.serialize()));
    }
  }

  @Test
  void otherAlgorithmsAreRejected() {
    for (String alg : List.of("HS256", "HS512", "RS384", "RS512", "PS512", "ES384", "ES256K", "Ed25519", "rs256")) {
      String token = b64("{\"alg\":\"" + alg + "\",\"kid\":\"" + cluster.keyId() + "\"}") + "." + b64(claimsJson()) + ".c2ln";
      assertEquals("algorithm not allowed: \"" + alg + "\"", rejectionOf(token));
    }
  }

  @Test
  void tamperedPayloadIsRejected() {
    String[] parts = cluster.kubernetesToken("payments", "api").split("\\.");
    String tampered = parts[0] + "." + b64(claimsJson().replace("payments", "kube-system")) + "." + parts[2];

    assertEquals("signature invalid", rejectionOf(tampered));
  }

  @Test
  void tamperedSignatureIsRejected() {
    String token = cluster.kubernetesToken("payments", "api");
    char last = token.charAt(token.length() - 5);
    String tampered = token.substring(0, token.length() - 5) + (last == 'A' ? 'B' : 'A') + token.substring(token.length() - 4);

    assertEquals("signature invalid", rejectionOf(tampered));
  }

  @Test
  void embeddedJwkFromAnUntrustedKeyIsNeverUsed() {
    TestTokenIssuer attacker = TestTokenIssuer.builder().issuer(ISSUER).keyId(cluster.keyId()).clock(clock).build();
    Map<String, Object> attackerJwk = attacker.publicJwk().toJSONObject();

    // Same kid as the trusted key: the trusted key is used, and the signature does not verify.
    assertEquals("signature invalid", rejectionOf(
        attacker.token().subject("system:serviceaccount:a:b").audience("keyward").header("jwk", attackerJwk).sign()));
    // Attacker's own kid: no trusted key matches at all.
    TestTokenIssuer stranger = TestTokenIssuer.builder().issuer(ISSUER).clock(clock).build();
    assertEquals("no trusted key for kid \"" + stranger.keyId() + "\"", rejectionOf(stranger.token()
        .subject("system:serviceaccount:a:b").audience("keyward")
        .header("jwk", stranger.publicJwk().toJSONObject()).sign()));
  }

  @Test
  void x5cHeaderWithAnAttackerCertificateIsNeverUsed() throws Exception {
    TestTokenIssuer attacker = TestTokenIssuer.builder().issuer(ISSUER).keyId(cluster.keyId()).clock(clock).build();
    String certificate = SelfSignedCertificate.forLocalhost().certificateBase64();

    String token = attacker.token().subject("system:serviceaccount:a:b").audience("keyward")
        .header("x5c", List.of(certificate)).sign();

    assertEquals("signature invalid", rejectionOf(token));
  }

  @Test
  void criticalHeadersAreRejected() {
    String token = subjectToken().header("crit", List.of("urn:example:policy")).header("urn:example:policy", "x").sign();

    assertEquals("critical header not understood", rejectionOf(token));
  }

  @Test
  void typHeaderMustBeJwtOrAbsent() throws Exception {
    assertEquals("payments", verifier.verify(subjectToken().header("typ", "JWT").sign()).namespace().orElseThrow());
    assertEquals("token type not allowed: \"at+jwt\"", rejectionOf(subjectToken().header("typ", "at+jwt").sign()));
  }

  @Test
  void unknownKidIsRejected() {
    assertEquals("no trusted key for kid \"nope\"", rejectionOf(subjectToken().header("kid", "nope").sign()));
  }

  // ---- malformed input

  @Test
  void malformedTokensAreRejected() {
    assertEquals("empty token", rejectionOf(null));
    assertEquals("empty token", rejectionOf(""));
    assertEquals("not a compact JWS", rejectionOf("garbage"));
    assertEquals("not a compact JWS", rejectionOf("..."));
    assertEquals("not a compact JWS", rejectionOf(".."));
    assertEquals("not a compact JWS", rejectionOf("a.b.c.d.e"));
    assertEquals("not a compact JWS", rejectionOf(" " + cluster.kubernetesToken("payments", "api")));
    assertEquals("not a compact JWS", rejectionOf("Bearer " + cluster.kubernetesToken("payments", "api")));
    assertEquals("malformed header", rejectionOf("e30x.e30.c2ln"));
    assertEquals("header has no alg", rejectionOf(b64("{}") + ".e30.c2ln"));
    assertEquals("malformed header", rejectionOf(b64("[1]") + ".e30.c2ln"));
  }

  @Test
  void nonJsonOrEmptyPayloadIsRejected() {
    String header = b64("{\"alg\":\"RS256\",\"kid\":\"" + cluster.keyId() + "\"}");

    assertEquals("malformed claims", rejectionOf(header + "." + b64("foo") + ".c2ln"));
    assertEquals("malformed claims", rejectionOf(header + ".." + "c2ln"));
    assertEquals("malformed claims", rejectionOf(header + "." + b64("{\"exp\":\"soon\"}") + ".c2ln"));
  }

  @Test
  void hugeTokenIsRejectedBeforeParsing() {
    String huge = subjectToken().claim("padding", "x".repeat(CompactJws.MAX_LENGTH)).sign();

    assertTrue(huge.length() > CompactJws.MAX_LENGTH);
    assertEquals("token too large: " + huge.length() + " chars, limit 8192", rejectionOf(huge));
  }

  @Test
  void rejectionMessagesNeverContainTheToken() {
    String token = subjectToken().audience("vault").sign();
    String message = rejectionOf(token);

    assertFalse(message.contains(token.substring(0, 20)));
    assertFalse(message.contains(token.substring(token.lastIndexOf('.') + 1)));
  }

  // ---- verified-token cache

  @Test
  void secondVerifyOfTheSameTokenSkipsTheSignatureCheck() throws Exception {
    String token = cluster.kubernetesToken("payments", "api");

    WorkloadIdentity first = verifier.verify(token);
    WorkloadIdentity second = verifier.verify(token);

    assertEquals(first, second);
    assertEquals(1, verifier.signatureChecks());
    verifier.verify(cluster.kubernetesToken("payments", "api2"));
    assertEquals(2, verifier.signatureChecks());
  }

  @Test
  void cachedTokenPastExpiryIsNotServed() throws Exception {
    String token = subjectToken().expiresIn(Duration.ofMinutes(2)).sign();
    verifier.verify(token);

    clock.advance(Duration.ofMinutes(2).plusSeconds(1));
    // Past exp the cache must not answer: the full check runs again (and still passes within skew).
    verifier.verify(token);
    assertEquals(2, verifier.signatureChecks());

    clock.advance(Duration.ofSeconds(30));
    assertEquals("expired", rejectionOf(token));
  }

  @Test
  void cacheEntriesAreBoundedByMaxAge() throws Exception {
    String token = cluster.kubernetesToken("payments", "api");
    verifier.verify(token);

    clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    verifier.verify(token);

    assertEquals(2, verifier.signatureChecks());
  }

  @Test
  void rejectedTokensAreNotCached() {
    String token = subjectToken().audience("vault").sign();
    rejectionOf(token);
    rejectionOf(token);

    assertEquals(2, verifier.signatureChecks());
  }

  // ---- helpers

  private TestTokenIssuer.TokenBuilder subjectToken() {
    return cluster.token().subject("system:serviceaccount:payments:api").audience("keyward");
  }

  private String claimsJson() {
    long now = clock.instant().getEpochSecond();
    return "{\"iss\":\"" + ISSUER + "\",\"sub\":\"system:serviceaccount:payments:api\",\"aud\":[\"keyward\"],"
        + "\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}";
  }

  private static String b64(String json) {
    return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
  }

}
