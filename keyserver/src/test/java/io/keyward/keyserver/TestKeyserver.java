package io.keyward.keyserver;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.keyserver.audit.JdbcAuditLog;
import io.keyward.keyserver.identity.IdentitySettings;
import io.keyward.keyserver.identity.JwtTokenVerifier;
import io.keyward.keyserver.identity.TrustedIssuer;
import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.rootkey.RootKeyCheck;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A real keyserver (SQLite file, file root key, hash-chained audit, JWT verification against a
 * real JWKS file) served in-process, with a fake clock shared by the server and the token issuer.
 * Reopening the same folder is a restart.
 */
public final class TestKeyserver implements AutoCloseable {
  public static final String ISSUER = "https://kubernetes.test";
  public static final String POLICY = """
      rules:
        - name: operators
          match:
            subject: "system:serviceaccount:ops:admin"
          keys: ["**"]
          operations: [all]
        - name: team-a
          match:
            namespace: a
          keys: ["shared", "a-*"]
          operations: [encrypt, decrypt]
        - name: team-b
          match:
            namespace: b
          keys: ["shared", "b-*"]
          operations: [encrypt, decrypt]
        - name: tenants
          match:
            subject: "system:serviceaccount:*:tenant-app"
          keys: ["tenants"]
          operations: [encrypt, decrypt]
          context:
            tenant: "{namespace}"
      """;

  public final Path dir;
  public final FakeClock clock;
  public final TestTokenIssuer issuer;
  public final JdbcKeyStore store;
  public final Keyserver keyserver;
  private final ManagedChannel channel;
  private final String name = "keyserver-" + UUID.randomUUID();

  private TestKeyserver(Path dir, FakeClock clock, TestTokenIssuer issuer) throws Exception {
    this.dir = dir;
    this.clock = clock;
    this.issuer = issuer;
    this.store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
    FileRootKey rootKey = FileRootKey.createIfMissing(dir.resolve("root.key"));
    RootKeyCheck.verifyOrInitialize(store, rootKey);
    issuer.writeJwks(dir.resolve("jwks.json"));
    JwtTokenVerifier verifier = JwtTokenVerifier.create(IdentitySettings.builder()
        .audience("keyward")
        .clock(clock)
        .addIssuer(TrustedIssuer.builder(ISSUER).jwksFile(dir.resolve("jwks.json")).build())
        .build());
    this.keyserver = Keyserver.builder()
        .serverBuilder(InProcessServerBuilder.forName(name))
        .store(store)
        .rootKey(rootKey)
        .auditLog(JdbcAuditLog.open(store.database()))
        .tokenVerifier(verifier)
        .clock(clock)
        .destroyWaitingPeriods(Duration.ofHours(1), Duration.ofDays(1))
        .shutdownGrace(Duration.ofSeconds(5))
        .build();
    keyserver.authorizer().seedIfEmpty(POLICY);
    keyserver.start();
    this.channel = InProcessChannelBuilder.forName(name).build();
  }

  /** Starts a fresh keyserver in {@code dir}, or restarts the one whose files are there. */
  public static TestKeyserver start(Path dir, FakeClock clock, TestTokenIssuer issuer) throws Exception {
    return new TestKeyserver(dir, clock, issuer);
  }

  public static TestKeyserver start(Path dir) throws Exception {
    FakeClock clock = new FakeClock(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    return start(dir, clock, TestTokenIssuer.builder().issuer(ISSUER).clock(clock).build());
  }

  public String adminToken() {
    return issuer.kubernetesToken("ops", "admin");
  }

  public String tokenFor(String namespace, String serviceAccount) {
    return issuer.kubernetesToken(namespace, serviceAccount);
  }

  public KeyServiceGrpc.KeyServiceBlockingStub keys(String token) {
    return KeyServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  public AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return admin(adminToken());
  }

  public AdminServiceGrpc.AdminServiceBlockingStub admin(String token) {
    return AdminServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  public KeyServiceGrpc.KeyServiceBlockingStub keysWithoutToken() {
    return KeyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  public void createKey(String name) {
    admin().createKey(CreateKeyRequest.newBuilder().setName(name).build());
  }

  public static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    keyserver.close();
  }
}
