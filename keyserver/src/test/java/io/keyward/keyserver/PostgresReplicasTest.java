package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.PutPolicyRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.ScheduleKeyVersionDestructionRequest;
import io.keyward.api.v1.VerifyAuditChainRequest;
import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.store.PostgresDatabases;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two keyservers (separate catalogs, caches, pools) on one PostgreSQL database, with one fake
 * clock: the replication bounds documented in docs/operations-storage.md hold.
 */
class PostgresReplicasTest {
  private static final Duration JUST_PAST_TTL = StoreKeyserver.RECORD_TTL.plusMillis(1);

  @TempDir Path dir;
  private PostgresDatabases.TestDatabase database;
  private final FakeClock clock = new FakeClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private StoreKeyserver a;
  private StoreKeyserver b;

  @BeforeEach
  void start() throws Exception {
    database = PostgresDatabases.create();
    TestTokenIssuer issuer = TestTokenIssuer.builder().issuer(TestKeyserver.ISSUER).clock(clock).build();
    Path jwks = issuer.writeJwks(dir.resolve("jwks.json"));
    FileRootKey.createIfMissing(dir.resolve("root.key")).close();
    a = StoreKeyserver.start(database.location(), FileRootKey.load(dir.resolve("root.key")), clock, issuer, jwks);
    b = StoreKeyserver.start(database.location(), FileRootKey.load(dir.resolve("root.key")), clock, issuer, jwks);
    a.admin().createKey(CreateKeyRequest.newBuilder().setName("a-orders").build());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {b, a}) {
      if (c != null) {
        c.close();
      }
    }
    if (database != null) {
      database.close();
    }
  }

  private static GenerateDataKeyRequest generate() {
    return GenerateDataKeyRequest.newBuilder().setKeyName("a-orders").build();
  }

  private static DecryptDataKeyRequest decrypt(GenerateDataKeyResponse issued) {
    return DecryptDataKeyRequest.newBuilder().setWrappedDataKey(issued.getWrappedDataKey()).build();
  }

  private static Status.Code codeOf(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void aRotationThroughOneReplicaIsServedByTheOtherWithinTheRecordTtl() {
    assertEquals(1, b.keys("a").generateDataKey(generate()).getKeyVersion()); // b caches v1
    a.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-orders").build());
    GenerateDataKeyResponse fromA = a.keys("a").generateDataKey(generate());
    assertEquals(2, fromA.getKeyVersion());
    // A data key of the new version decrypts on b at once: an unknown version re-reads the key.
    assertEquals(fromA.getPlaintextDataKey(), b.keys("a").decryptDataKey(decrypt(fromA)).getPlaintextDataKey());
    clock.advance(JUST_PAST_TTL);
    assertEquals(2, b.keys("a").generateDataKey(generate()).getKeyVersion());
  }

  @Test
  void concurrentRotationsThroughBothReplicasYieldDistinctVersionsAndOnePrimary() throws Exception {
    int perReplica = 10;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<List<Integer>>> futures = new ArrayList<>();
    for (StoreKeyserver via : List.of(a, b, a, b)) {
      futures.add(pool.submit(() -> {
        go.await();
        List<Integer> mine = new ArrayList<>();
        for (int i = 0; i < perReplica / 2; i++) {
          mine.add(via.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-orders").build())
              .getPrimaryVersion());
        }
        return mine;
      }));
    }
    go.countDown();
    Set<Integer> seen = new HashSet<>();
    for (Future<List<Integer>> f : futures) {
      for (int v : f.get(120, TimeUnit.SECONDS)) {
        assertTrue(seen.add(v), "version " + v + " returned twice");
      }
    }
    pool.shutdown();
    assertEquals(IntStream.rangeClosed(2, 21).boxed().collect(java.util.stream.Collectors.toSet()), seen);
    clock.advance(JUST_PAST_TTL);
    for (StoreKeyserver via : List.of(a, b)) {
      Key key = via.admin().getKey(GetKeyRequest.newBuilder().setName("a-orders").build());
      assertEquals(21, key.getPrimaryVersion());
      assertEquals(21, key.getVersionsCount());
      assertEquals(21, via.keys("a").generateDataKey(generate()).getKeyVersion());
    }
    // Both replicas appended to one audit chain; it still verifies.
    assertTrue(a.admin().verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance()).getIntact());
  }

  @Test
  void aPolicyChangeReachesTheOtherReplicaAtItsNextMaintenanceRun() {
    assertEquals(Status.Code.PERMISSION_DENIED, codeOf(() -> b.keys("c").generateDataKey(generate())));
    String widened = TestKeyserver.POLICY + """
          - name: team-c
            match:
              namespace: c
            keys: ["a-orders"]
            operations: [encrypt, decrypt]
        """;
    a.admin().putPolicy(PutPolicyRequest.newBuilder().setDocument(widened).setExpectedRevision(1).build());
    assertEquals(1, a.keys("c").generateDataKey(generate()).getKeyVersion());
    assertEquals(Status.Code.PERMISSION_DENIED, codeOf(() -> b.keys("c").generateDataKey(generate())));
    b.runMaintenance();
    assertEquals(1, b.keys("c").generateDataKey(generate()).getKeyVersion());
    // And back: narrowing through b reaches a at a's next run.
    b.admin().putPolicy(PutPolicyRequest.newBuilder().setDocument(TestKeyserver.POLICY).setExpectedRevision(2).build());
    a.runMaintenance();
    assertEquals(Status.Code.PERMISSION_DENIED, codeOf(() -> a.keys("c").generateDataKey(generate())));
  }

  @Test
  void aDisabledVersionIsRefusedByTheOtherReplicaAfterTheRecordTtl() {
    GenerateDataKeyResponse v1 = a.keys("a").generateDataKey(generate());
    a.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-orders").build());
    assertEquals(v1.getPlaintextDataKey(), b.keys("a").decryptDataKey(decrypt(v1)).getPlaintextDataKey());
    a.admin().disableKeyVersion(KeyVersionRequest.newBuilder().setName("a-orders").setVersion(1).build());
    assertEquals(Status.Code.FAILED_PRECONDITION, codeOf(() -> a.keys("a").decryptDataKey(decrypt(v1))));
    clock.advance(JUST_PAST_TTL);
    assertEquals(Status.Code.FAILED_PRECONDITION, codeOf(() -> b.keys("a").decryptDataKey(decrypt(v1))));
  }

  @Test
  void aDestroyedVersionIsRefusedByTheOtherReplicaAfterTheRecordTtlAndItsSecretIsGone() {
    GenerateDataKeyResponse v1 = a.keys("a").generateDataKey(generate());
    a.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-orders").build());
    assertEquals(v1.getPlaintextDataKey(), b.keys("a").decryptDataKey(decrypt(v1)).getPlaintextDataKey());
    a.admin().scheduleKeyVersionDestruction(ScheduleKeyVersionDestructionRequest.newBuilder()
        .setName("a-orders").setVersion(1)
        .setWaitingPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(3600)).build());
    clock.advance(Duration.ofHours(1));
    a.runMaintenance(); // a erases the secret
    clock.advance(JUST_PAST_TTL);
    assertEquals(Status.Code.FAILED_PRECONDITION, codeOf(() -> b.keys("a").decryptDataKey(decrypt(v1))));
    assertTrue(b.store.findKey("a-orders").orElseThrow().version(1).orElseThrow().wrappedSecret().isEmpty());
  }
}
