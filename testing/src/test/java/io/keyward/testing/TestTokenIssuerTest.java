package io.keyward.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestTokenIssuerTest {
  private final FakeClock clock = FakeClock.startingAt2026();

  @Test
  void rsaTokenVerifiesAndCarriesKubernetesClaims() throws Exception {
    TestTokenIssuer issuer = TestTokenIssuer.builder().issuer("https://k8s.test").keyId("k1").clock(clock).build();

    SignedJWT jwt = SignedJWT.parse(issuer.kubernetesToken("payments", "api"));

    assertTrue(jwt.verify(new RSASSAVerifier((RSAKey) issuer.publicJwk())));
    assertEquals(JWSAlgorithm.RS256, jwt.getHeader().getAlgorithm());
    assertEquals("k1", jwt.getHeader().getKeyID());
    assertEquals("https://k8s.test", jwt.getJWTClaimsSet().getIssuer());
    assertEquals("system:serviceaccount:payments:api", jwt.getJWTClaimsSet().getSubject());
    assertEquals(List.of("keyward"), jwt.getJWTClaimsSet().getAudience());
    assertEquals(clock.instant().plus(Duration.ofHours(1)), jwt.getJWTClaimsSet().getExpirationTime().toInstant());
    Map<String, Object> k8s = jwt.getJWTClaimsSet().getJSONObjectClaim("kubernetes.io");
    assertEquals("payments", k8s.get("namespace"));
    assertEquals("api", ((Map<?, ?>) k8s.get("serviceaccount")).get("name"));
  }

  @Test
  void ps256AndEs256TokensVerify() throws Exception {
    TestTokenIssuer ps = TestTokenIssuer.builder().algorithm(JWSAlgorithm.PS256).build();
    TestTokenIssuer es = TestTokenIssuer.builder().algorithm(JWSAlgorithm.ES256).build();

    assertTrue(SignedJWT.parse(ps.spiffeToken("spiffe://td/x")).verify(new RSASSAVerifier((RSAKey) ps.publicJwk())));
    assertTrue(SignedJWT.parse(es.spiffeToken("spiffe://td/x")).verify(new ECDSAVerifier((ECKey) es.publicJwk())));
  }

  @Test
  void ed25519TokenVerifiesWithTheJdk() throws Exception {
    TestTokenIssuer issuer = TestTokenIssuer.builder().algorithm(JWSAlgorithm.EdDSA).build();
    String token = issuer.spiffeToken("spiffe://td/x");
    byte[] x = ((OctetKeyPair) issuer.publicJwk()).getX().decode();
    byte[] spki = new byte[44];
    System.arraycopy(new byte[] {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, 0, spki, 0, 12);
    System.arraycopy(x, 0, spki, 12, 32);
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    verifier.update(token.substring(0, token.lastIndexOf('.')).getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    assertTrue(verifier.verify(SignedJWT.parse(token).getSignature().decode()));
  }

  @Test
  void jwksIsPublicOnlyAndWrittenAtomically(@TempDir Path dir) throws Exception {
    TestTokenIssuer a = TestTokenIssuer.builder().keyId("a").build();
    TestTokenIssuer b = TestTokenIssuer.builder().keyId("b").algorithm(JWSAlgorithm.ES256).build();

    Path file = TestTokenIssuer.writeJwks(dir.resolve("jwks.json"), a, b);
    JWKSet set = JWKSet.parse(Files.readString(file));

    assertEquals(2, set.getKeys().size());
    assertFalse(set.getKeys().stream().anyMatch(k -> k.isPrivate()));
    assertFalse(a.jwksJson().contains("\"d\""));
    assertEquals(List.of(file), Files.list(dir).toList());
  }

  @Test
  void headerFieldsCanBeSetForAttackTests() throws Exception {
    TestTokenIssuer issuer = TestTokenIssuer.create("https://k8s.test");

    SignedJWT jwt = SignedJWT.parse(issuer.token().header("kid", null).header("jku", "https://evil.test/jwks")
        .header("typ", "JWT").sign());

    assertEquals(null, jwt.getHeader().getKeyID());
    assertEquals("https://evil.test/jwks", jwt.getHeader().getJWKURL().toString());
    assertThrows(IllegalArgumentException.class, () -> issuer.token().header("alg", "none"));
  }

  @Test
  void toStringShowsNoKey() {
    TestTokenIssuer issuer = TestTokenIssuer.builder().keyId("k1").build();

    assertEquals("TestTokenIssuer{https://issuer.test, kid=k1, RS256, key=REDACTED}", issuer.toString());
  }

  @Test
  void rejectsUnsupportedAlgorithms() {
    assertThrows(IllegalArgumentException.class, () -> TestTokenIssuer.builder().algorithm(JWSAlgorithm.HS256));
  }

  @Test
  void loadOrCreateKeepsTheKeyAcrossInstancesInAnOwnerOnlyFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("issuer.jwk");
    TestTokenIssuer first = TestTokenIssuer.loadOrCreate(file, "https://dev.test");
    TestTokenIssuer second = TestTokenIssuer.loadOrCreate(file, "https://dev.test");

    assertEquals(first.publicJwk(), second.publicJwk());
    assertEquals(first.keyId(), second.keyId());
    String token = second.spiffeToken("spiffe://td/x");
    assertTrue(SignedJWT.parse(token).verify(new RSASSAVerifier((RSAKey) first.publicJwk())));
    assertEquals("https://dev.test", SignedJWT.parse(token).getJWTClaimsSet().getIssuer());
    assertEquals(java.util.Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(file));
    assertFalse(second.toString().contains(Files.readString(file).substring(0, 20)));
  }

  @Test
  void loadOrCreateRefusesAFileWithoutAPrivateRsaKey(@TempDir Path dir) throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.jwk"), "{not json");
    Path publicOnly = Files.writeString(dir.resolve("public.jwk"),
        TestTokenIssuer.create("https://x").publicJwk().toJSONString());

    assertThrows(IllegalArgumentException.class, () -> TestTokenIssuer.loadOrCreate(garbage, "https://x"));
    assertThrows(IllegalArgumentException.class, () -> TestTokenIssuer.loadOrCreate(publicOnly, "https://x"));
  }
}
