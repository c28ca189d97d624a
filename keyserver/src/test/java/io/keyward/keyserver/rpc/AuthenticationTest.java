package io.keyward.keyserver.rpc;

import static io.keyward.keyserver.rpc.KeyServiceTest.decrypt;
import static io.keyward.keyserver.rpc.KeyServiceTest.expect;
import static io.keyward.keyserver.rpc.KeyServiceTest.generate;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import io.keyward.api.v1.AuditRecord;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.ListAuditRecordsRequest;
import io.keyward.api.v1.PutPolicyRequest;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.testing.TestTokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad tokens at the gRPC edge: each one is refused with the same fixed message, issues nothing,
 * logs its reason (never the token) and leaves an UNAUTHENTICATED audit record.
 */
class AuthenticationTest {
  private static final String SUBJECT = "system:serviceaccount:a:app";

  @TempDir Path dir;
  TestKeyserver server;
  /** An attacker's web site that would serve its JWKS to a server following {@code jku}. */
  HttpServer attackerSite;
  final AtomicInteger attackerSiteHits = new AtomicInteger();
  TestTokenIssuer attacker;

  @BeforeEach
  void start() throws Exception {
    server = TestKeyserver.start(dir);
    server.createKey("shared");
    // Same issuer name and key id as the trusted issuer; only the key differs.
    attacker = TestTokenIssuer.builder().issuer(TestKeyserver.ISSUER).keyId(server.issuer.keyId())
        .clock(server.clock).build();
    attackerSite = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    attackerSite.createContext("/", exchange -> {
      attackerSiteHits.incrementAndGet();
      byte[] body = attacker.jwksJson().getBytes(UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    attackerSite.start();
  }

  @AfterEach
  void stop() throws Exception {
    attackerSite.stop(0);
    server.close();
  }

  static Stream<Arguments> badTokens() {
    return Stream.of(
        // An unsecured JWS has an empty signature part; with one appended it must still fail on alg.
        bad("alg none", t -> new PlainJWT(t.validClaims()).serialize(), "not a compact JWS"),
        bad("alg none with a signature part", t -> new PlainJWT(t.validClaims()).serialize() + "c2ln",
            "algorithm not allowed"),
        bad("HS256 keyed with the RSA public key", AuthenticationTest::hmacWithPublicKey, "algorithm not allowed"),
        bad("expired", t -> t.valid().expiresIn(Duration.ofMinutes(-5)).sign(), "expired"),
        bad("nbf in the future", t -> t.valid().notBefore(t.server.clock.instant().plusSeconds(600)).sign(), "nbf"),
        bad("wrong issuer", t -> t.valid().issuer("https://evil.test").sign(), "unknown issuer"),
        bad("wrong audience", t -> t.valid().audience("someone-else").sign(), "audience mismatch"),
        bad("missing exp", t -> t.valid().withoutExpiry().sign(), "missing exp"),
        bad("unknown kid", t -> t.valid().header("kid", "no-such-key").sign(), "no trusted key for kid"),
        bad("tampered payload", AuthenticationTest::escalatedPayload, "signature invalid"),
        bad("untrusted key in an embedded jwk header",
            t -> t.attacker.token().subject(SUBJECT).audience("keyward").kubernetes("a", "app", null)
                .header("jwk", t.attacker.publicJwk().toJSONObject()).sign(),
            "signature invalid"),
        bad("jku header naming the attacker's JWKS",
            t -> t.attacker.token().subject(SUBJECT).audience("keyward").kubernetes("a", "app", null)
                .header("jku", "http://127.0.0.1:" + t.attackerSite.getAddress().getPort() + "/jwks.json").sign(),
            "signature invalid"));
  }

  private static Arguments bad(String name, Function<AuthenticationTest, String> token, String reason) {
    return Arguments.of(name, token, reason);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badTokenIsUnauthenticatedWithAFixedMessage(String name, Function<AuthenticationTest, String> mint, String reason) {
    String fixedMessage = expect(Status.Code.UNAUTHENTICATED,
        () -> server.keysWithoutToken().generateDataKey(generate("shared", Map.of())));
    String token = mint.apply(this);
    KeyServiceGrpc.KeyServiceBlockingStub stub = server.keys(token);

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    String message;
    PrintStream original = System.err;
    System.setErr(new PrintStream(new Tee(original, log), true, UTF_8));
    try {
      message = expect(Status.Code.UNAUTHENTICATED, () -> stub.generateDataKey(generate("shared", Map.of())));
    } finally {
      System.setErr(original);
    }

    assertEquals(fixedMessage, message, "the client must not learn why");
    String serverLog = log.toString(UTF_8);
    String rejection = serverLog.lines().filter(l -> l.contains("GenerateDataKey rejected")).findFirst()
        .orElseThrow(() -> new AssertionError("no rejection in the server log:\n" + serverLog));
    assertTrue(rejection.contains(reason), rejection);
    for (String part : token.split("\\.")) {
      if (part.length() > 8) {
        assertFalse(serverLog.contains(part), "the server log holds part of the token");
      }
    }
    assertEquals(0, attackerSiteHits.get(), "the server fetched keys from a URL in the token");

    AuditRecord audited = server.admin().listAuditRecords(ListAuditRecordsRequest.newBuilder()
        .setTail(true).setLimit(1).build()).getRecords(0);
    assertEquals("GenerateDataKey", audited.getOperation());
    assertEquals("UNAUTHENTICATED", audited.getOutcome());
    assertEquals("", audited.getCaller());
    assertEquals(0, server.admin().getKey(GetKeyRequest.newBuilder().setName("shared").build())
        .getVersions(0).getDataKeysIssued(), "a data key was issued");
  }

  @Test
  void validTokenIsAccepted() {
    // The baseline the bad tokens are cut from really works.
    GenerateDataKeyResponse issued = server.keys(valid().sign()).generateDataKey(generate("shared", Map.of()));
    assertEquals(32, issued.getPlaintextDataKey().size());
  }

  @Test
  void spiffeWorkloadIsAuthenticatedAndAuthorizedBySubject() {
    String spiffeId = "spiffe://cluster.test/ns/a/sa/app";
    String policy = TestKeyserver.POLICY + """
          - name: spiffe-app
            match:
              subject: "spiffe://cluster.test/ns/a/**"
            keys: ["spiffe-*"]
            operations: [encrypt, decrypt]
        """;
    server.admin().putPolicy(PutPolicyRequest.newBuilder().setDocument(policy).setExpectedRevision(1).build());
    server.createKey("spiffe-data");
    KeyServiceGrpc.KeyServiceBlockingStub workload = server.keys(server.issuer.spiffeToken(spiffeId));

    GenerateDataKeyResponse issued = workload.generateDataKey(generate("spiffe-data", Map.of("doc", "1")));
    assertEquals(issued.getPlaintextDataKey(),
        workload.decryptDataKey(decrypt(issued.getWrappedDataKey(), Map.of("doc", "1"))).getPlaintextDataKey());
    expect(Status.Code.PERMISSION_DENIED, () -> workload.generateDataKey(generate("shared", Map.of())));
    KeyServiceGrpc.KeyServiceBlockingStub other =
        server.keys(server.issuer.spiffeToken("spiffe://cluster.test/ns/b/sa/app"));
    expect(Status.Code.PERMISSION_DENIED, () -> other.generateDataKey(generate("spiffe-data", Map.of())));

    List<AuditRecord> records = server.admin().listAuditRecords(ListAuditRecordsRequest.newBuilder()
        .setTail(true).setLimit(4).build()).getRecordsList();
    assertEquals(TestKeyserver.ISSUER + " " + spiffeId, records.get(0).getCaller());
    assertEquals("GenerateDataKey", records.get(0).getOperation());
    assertEquals("OK", records.get(0).getOutcome());
  }

  /** A well-formed kubelet-style token for team a, to be spoiled by each case. */
  TestTokenIssuer.TokenBuilder valid() {
    return server.issuer.token().subject(SUBJECT).audience("keyward").kubernetes("a", "app", null);
  }

  JWTClaimsSet validClaims() {
    Instant now = server.clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(TestKeyserver.ISSUER)
        .subject(SUBJECT)
        .audience("keyward")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(3600)))
        .claim("kubernetes.io", Map.of("namespace", "a", "serviceaccount", Map.of("name", "app", "uid", "u")))
        .build();
  }

  private static String hmacWithPublicKey(AuthenticationTest t) {
    try {
      byte[] publicKey = t.server.issuer.publicJwk().toRSAKey().toRSAPublicKey().getEncoded();
      SignedJWT jwt = new SignedJWT(
          new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(t.server.issuer.keyId()).build(), t.validClaims());
      jwt.sign(new MACSigner(publicKey));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A real token whose payload is swapped for one that claims to be the operator. */
  private static String escalatedPayload(AuthenticationTest t) {
    String[] parts = t.valid().sign().split("\\.");
    String admin = t.server.issuer.token().subject("system:serviceaccount:ops:admin").audience("keyward")
        .kubernetes("ops", "admin", null).sign().split("\\.")[1];
    assertFalse(parts[1].equals(admin));
    return parts[0] + "." + Base64URL.from(admin) + "." + parts[2];
  }

  /** Writes to the original stream and to a capture. */
  private static final class Tee extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    Tee(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public synchronized void write(int b) throws java.io.IOException {
      first.write(b);
      second.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
      first.write(b, off, len);
      second.write(b, off, len);
    }

    @Override
    public synchronized void flush() throws java.io.IOException {
      first.flush();
      second.flush();
    }
  }
}
