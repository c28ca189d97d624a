package io.keyward.keyserver;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.keyserver.audit.JdbcAuditLog;
import io.keyward.keyserver.identity.IdentitySettings;
import io.keyward.keyserver.identity.JwtTokenVerifier;
import io.keyward.keyserver.identity.TrustedIssuer;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rootkey.RootKeyCheck;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real keyserver on any store location (SQLite file or PostgreSQL database), served in-process
 * with a fake clock: several of them on one PostgreSQL database are replicas. Maintenance runs
 * only when a test calls {@link #runMaintenance()}, so replication bounds are tested by the clock.
 */
public final class StoreKeyserver implements AutoCloseable {
  public static final Duration RECORD_TTL = Duration.ofSeconds(5);

  public final JdbcKeyStore store;
  public final Keyserver keyserver;
  private final TestTokenIssuer issuer;
  private final ManagedChannel channel;

  private StoreKeyserver(
      String location, RootKey rootKey, FakeClock clock, TestTokenIssuer issuer, Path jwksFile)
      throws Exception {
    this.issuer = issuer;
    this.store = Stores.open(location);
    RootKeyCheck.verifyOrInitialize(store, rootKey);
    JwtTokenVerifier verifier = JwtTokenVerifier.create(IdentitySettings.builder()
        .audience("keyward")
        .clock(clock)
        .addIssuer(TrustedIssuer.builder(TestKeyserver.ISSUER).jwksFile(jwksFile).build())
        .build());
    String name = "replica-" + UUID.randomUUID();
    this.keyserver = Keyserver.builder()
        .serverBuilder(InProcessServerBuilder.forName(name))
        .store(store)
        .rootKey(rootKey)
        .auditLog(JdbcAuditLog.open(store.database()))
        .tokenVerifier(verifier)
        .clock(clock)
        .recordTtl(RECORD_TTL)
        .maintenanceInterval(Duration.ofDays(1))
        .destroyWaitingPeriods(Duration.ofHours(1), Duration.ofDays(1))
        .shutdownGrace(Duration.ofSeconds(5))
        .build();
    keyserver.authorizer().seedIfEmpty(TestKeyserver.POLICY);
    keyserver.start();
    this.channel = InProcessChannelBuilder.forName(name).build();
  }

  /** Starts a keyserver on {@code location}; it takes ownership of {@code rootKey}. */
  public static StoreKeyserver start(
      String location, RootKey rootKey, FakeClock clock, TestTokenIssuer issuer, Path jwksFile)
      throws Exception {
    return new StoreKeyserver(location, rootKey, clock, issuer, jwksFile);
  }

  public KeyServiceGrpc.KeyServiceBlockingStub keys(String namespace) {
    return KeyServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken(namespace, "app")))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  public AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  public void runMaintenance() {
    keyserver.runMaintenance();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    keyserver.close();
  }
}
