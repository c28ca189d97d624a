package io.keyward.keyserver.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where keys come from: JWKS file, JWKS URL, OIDC discovery; rotation, refresh limits, isolation. */
class JwksSourceTest {
  private final FakeClock clock = FakeClock.startingAt2026();
  @TempDir Path dir;
  private LocalHttpServer http;
  private final ExecutorService pool = Executors.newFixedThreadPool(8);

  @BeforeEach
  void startServer() throws Exception {
    http = new LocalHttpServer();
  }

  @AfterEach
  void stopServer() {
    http.close();
    pool.shutdownNow();
  }

  private IdentitySettings.Builder settings() {
    return IdentitySettings.builder().audience("keyward").clock(clock);
  }

  private TestTokenIssuer issuer(String iss) {
    return TestTokenIssuer.builder().issuer(iss).clock(clock).build();
  }

  @Test
  void jwksFileRotationIsPickedUpAfterRewrite() throws Exception {
    String iss = "https://cluster-a.example";
    TestTokenIssuer oldKey = issuer(iss);
    TestTokenIssuer newKey = issuer(iss);
    Path jwks = oldKey.writeJwks(dir.resolve("jwks.json"));
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksFile(jwks).build()).build());
    verifier.verify(oldKey.kubernetesToken("payments", "api"));

    TestTokenIssuer.writeJwks(jwks, oldKey, newKey);
    clock.advance(Duration.ofSeconds(31));

    verifier.verify(newKey.kubernetesToken("payments", "api"));
    verifier.verify(oldKey.kubernetesToken("payments", "worker"));

    // Retire the old key: a known kid triggers no reload, but within jwksMaxAge the file is
    // re-read, and from then on the old key's fresh tokens fail.
    newKey.writeJwks(jwks);
    clock.advance(Duration.ofMinutes(5));
    assertThrows(TokenRejectedException.class, () -> verifier.verify(oldKey.kubernetesToken("payments", "batch")));
    verifier.verify(newKey.kubernetesToken("payments", "batch"));
  }

  @Test
  void unchangedJwksFileIsNotReparsedAndBrokenRewriteKeepsKeys() throws Exception {
    String iss = "https://cluster-a.example";
    TestTokenIssuer key = issuer(iss);
    Path jwks = key.writeJwks(dir.resolve("jwks.json"));
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksFile(jwks).build()).build());
    verifier.verify(key.kubernetesToken("payments", "api"));

    Files.writeString(jwks, "{ not json");
    clock.advance(Duration.ofMinutes(6)); // past max age: a reload is attempted and fails

    verifier.verify(key.kubernetesToken("payments", "worker"));
    assertEquals(2, verifier.jwksLoadAttempts(iss));
  }

  @Test
  void unknownKidCausesAtMostOneFetchPerInterval() throws Exception {
    String iss = "https://cluster-b.example";
    TestTokenIssuer trusted = issuer(iss);
    http.serve("/keys", trusted.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksUrl(http.url("/keys")).build()).build());
    verifier.verify(trusted.kubernetesToken("payments", "api"));
    assertEquals(1, http.hits("/keys"));

    clock.advance(Duration.ofSeconds(31));
    TestTokenIssuer attacker = issuer(iss);
    for (int i = 0; i < 50; i++) {
      String forged = attacker.token().subject("system:serviceaccount:payments:api").audience("keyward")
          .header("kid", "unknown-" + i).sign();
      assertThrows(TokenRejectedException.class, () -> verifier.verify(forged));
    }

    assertEquals(2, http.hits("/keys"), "50 unknown kids within one interval cause one refresh");
    assertEquals(2, verifier.jwksLoadAttempts(iss));
  }

  @Test
  void jwksUrlServesNewKeyAfterRateLimitWindow() throws Exception {
    String iss = "https://cluster-b.example";
    TestTokenIssuer first = issuer(iss);
    TestTokenIssuer second = issuer(iss);
    http.serve("/keys", first.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksUrl(http.url("/keys")).build()).build());
    verifier.verify(first.kubernetesToken("payments", "api"));

    http.serve("/keys", TestTokenIssuer.jwksJson(first, second));
    assertThrows(TokenRejectedException.class, () -> verifier.verify(second.kubernetesToken("payments", "api")));
    clock.advance(Duration.ofSeconds(30));

    verifier.verify(second.kubernetesToken("payments", "api"));
  }

  @Test
  void oidcDiscoveryFindsTheJwks() throws Exception {
    String iss = http.baseUrl();
    TestTokenIssuer cluster = issuer(iss);
    http.serve("/.well-known/openid-configuration",
            "{\"issuer\":\"" + iss + "\",\"jwks_uri\":\"" + iss + "/openid/v1/jwks\"}")
        .serve("/openid/v1/jwks", cluster.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).discovery(true).build()).build());

    WorkloadIdentity id = verifier.verify(cluster.kubernetesToken("payments", "api"));

    assertEquals(iss, id.issuer());
    assertEquals(1, http.hits("/.well-known/openid-configuration"));
    assertEquals(1, http.hits("/openid/v1/jwks"));
  }

  @Test
  void discoveryDocumentForAnotherIssuerIsNotTrusted() throws Exception {
    String iss = http.baseUrl();
    TestTokenIssuer cluster = issuer(iss);
    http.serve("/.well-known/openid-configuration",
            "{\"issuer\":\"https://someone-else.example\",\"jwks_uri\":\"" + iss + "/jwks\"}")
        .serve("/jwks", cluster.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).discovery(true).build()).build());

    assertThrows(TokenRejectedException.class, () -> verifier.verify(cluster.kubernetesToken("payments", "api")));
    assertEquals(0, http.hits("/jwks"));
  }

  @Test
  void jkuHeaderIsNeverFetched() throws Exception {
    String iss = "https://cluster-c.example";
    TestTokenIssuer trusted = issuer(iss);
    TestTokenIssuer attacker = issuer(iss);
    http.serve("/attacker-jwks", attacker.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(settings()
        .addIssuer(TrustedIssuer.builder(iss).jwksFile(trusted.writeJwks(dir.resolve("jwks.json"))).build())
        .build());
    verifier.verify(trusted.kubernetesToken("payments", "api"));

    clock.advance(Duration.ofMinutes(10));
    for (String kid : new String[] {attacker.keyId(), trusted.keyId()}) {
      String token = attacker.token().subject("system:serviceaccount:a:b").audience("keyward")
          .header("kid", kid).header("jku", http.url("/attacker-jwks").toString())
          .header("x5u", http.url("/attacker-cert").toString()).sign();
      assertThrows(TokenRejectedException.class, () -> verifier.verify(token));
    }

    assertEquals(0, http.hits("/attacker-jwks"));
    assertEquals(0, http.hits("/attacker-cert"));
  }

  @Test
  void severalIssuersAreKeptApart() throws Exception {
    TestTokenIssuer clusterA = issuer("https://cluster-a.example");
    TestTokenIssuer clusterB = issuer("https://cluster-b.example");
    http.serve("/b/keys", clusterB.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(settings()
        .addIssuer(TrustedIssuer.builder(clusterA.issuer()).jwksFile(clusterA.writeJwks(dir.resolve("a.json"))).build())
        .addIssuer(TrustedIssuer.builder(clusterB.issuer()).jwksUrl(http.url("/b/keys")).build())
        .build());

    assertEquals("https://cluster-a.example", verifier.verify(clusterA.kubernetesToken("payments", "api")).issuer());
    assertEquals("https://cluster-b.example", verifier.verify(clusterB.kubernetesToken("payments", "api")).issuer());
    // Cluster A's key claiming to be cluster B: B's keys do not include it.
    String crossed = clusterA.token().issuer(clusterB.issuer()).subject("system:serviceaccount:payments:api")
        .audience("keyward").sign();
    TokenRejectedException e = assertThrows(TokenRejectedException.class, () -> verifier.verify(crossed));
    assertEquals("no trusted key for kid \"" + clusterA.keyId() + "\"", e.getMessage());
  }

  @Test
  void slowJwksEndpointDoesNotBlockOtherIssuers() throws Exception {
    TestTokenIssuer slow = issuer("https://slow.example");
    TestTokenIssuer fast = issuer("https://fast.example");
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch fetching = new CountDownLatch(1);
    http.serve("/slow", () -> {
      fetching.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return slow.jwksJson();
    });
    JwtTokenVerifier verifier = JwtTokenVerifier.create(settings()
        .addIssuer(TrustedIssuer.builder(slow.issuer()).jwksUrl(http.url("/slow")).build())
        .addIssuer(TrustedIssuer.builder(fast.issuer()).jwksFile(fast.writeJwks(dir.resolve("fast.json"))).build())
        .build());

    CompletableFuture<WorkloadIdentity> slowCall = CompletableFuture.supplyAsync(() -> {
      try {
        return verifier.verify(slow.kubernetesToken("payments", "api"));
      } catch (TokenRejectedException e) {
        throw new IllegalStateException(e.getMessage());
      }
    });
    fetching.await(5, TimeUnit.SECONDS);

    assertTimeoutPreemptively(Duration.ofSeconds(3),
        () -> verifier.verify(fast.kubernetesToken("payments", "api")));
    release.countDown();
    assertEquals("https://slow.example", slowCall.get(5, TimeUnit.SECONDS).issuer());
  }

  @Test
  void httpsJwksWithPinnedCaFile() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.forLocalhost();
    Path caFile = Files.writeString(dir.resolve("ca.pem"), cert.certificatePem());
    TestTokenIssuer cluster = issuer("https://cluster-tls.example");
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));
    https.createContext("/keys", exchange -> {
      byte[] body = cluster.jwksJson().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    https.start();
    try {
      URI url = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/keys");
      JwtTokenVerifier pinned = JwtTokenVerifier.create(settings()
          .addIssuer(TrustedIssuer.builder(cluster.issuer()).jwksUrl(url).caFile(caFile).build()).build());
      JwtTokenVerifier defaultTrust = JwtTokenVerifier.create(settings()
          .addIssuer(TrustedIssuer.builder(cluster.issuer()).jwksUrl(url).build()).build());

      assertEquals(cluster.issuer(), pinned.verify(cluster.kubernetesToken("payments", "api")).issuer());
      // Without the CA file the self-signed server is not trusted, so no keys load.
      assertThrows(TokenRejectedException.class, () -> defaultTrust.verify(cluster.kubernetesToken("payments", "api")));
    } finally {
      https.stop(0);
    }
  }

  @Test
  void jwksWithPrivateKeyMaterialIsRefusedWhole() throws Exception {
    String iss = "https://leaky.example";
    TestTokenIssuer cluster = issuer(iss);
    String leaky = "{\"keys\":[" + new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("leaked").generate()
        .toJSONString() + "," + cluster.publicJwk().toJSONString() + "]}";
    http.serve("/keys", leaky);
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksUrl(http.url("/keys")).build()).build());

    assertThrows(TokenRejectedException.class, () -> verifier.verify(cluster.kubernetesToken("payments", "api")));
  }

  @Test
  void oversizedJwksResponseIsRefused() throws Exception {
    String iss = "https://big.example";
    TestTokenIssuer cluster = issuer(iss);
    String padded = cluster.jwksJson().replaceFirst("\\{", "{\"padding\":\"" + "x".repeat(JwksPolicy.MAX_DOCUMENT_CHARS) + "\",");
    http.serve("/keys", padded);
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksUrl(http.url("/keys")).build()).build());

    assertThrows(TokenRejectedException.class, () -> verifier.verify(cluster.kubernetesToken("payments", "api")));

    http.serve("/keys", cluster.jwksJson());
    clock.advance(Duration.ofSeconds(30));
    verifier.verify(cluster.kubernetesToken("payments", "api"));
  }

  @Test
  void concurrentCallersWithANewKidShareOneRefresh() throws Exception {
    String iss = "https://cluster-b.example";
    TestTokenIssuer first = issuer(iss);
    TestTokenIssuer rotated = issuer(iss);
    http.serve("/keys", first.jwksJson());
    JwtTokenVerifier verifier = JwtTokenVerifier.create(
        settings().addIssuer(TrustedIssuer.builder(iss).jwksUrl(http.url("/keys")).build()).build());
    verifier.verify(first.kubernetesToken("payments", "api"));
    http.serve("/keys", TestTokenIssuer.jwksJson(first, rotated));
    clock.advance(Duration.ofSeconds(31));

    int callers = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<WorkloadIdentity>> calls = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      String token = rotated.kubernetesToken("payments", "worker-" + i);
      calls.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await();
          return verifier.verify(token);
        } catch (Exception e) {
          throw new IllegalStateException(e.getMessage());
        }
      }, pool));
    }
    start.countDown();

    for (CompletableFuture<WorkloadIdentity> call : calls) {
      assertEquals(iss, call.get(10, TimeUnit.SECONDS).issuer()); // callers that waited see the new key too
    }
    assertEquals(2, http.hits("/keys"));
  }
}
