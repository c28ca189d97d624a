package io.keyward.keyserver.rpc;

import static io.keyward.keyserver.rpc.KeyServiceTest.decrypt;
import static io.keyward.keyserver.rpc.KeyServiceTest.expect;
import static io.keyward.keyserver.rpc.KeyServiceTest.generate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.Status;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.AuditRecord;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.GetPolicyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.KeyVersion;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.KeyVersionState;
import io.keyward.api.v1.ListAuditRecordsRequest;
import io.keyward.api.v1.ListAuditRecordsResponse;
import io.keyward.api.v1.ListKeysRequest;
import io.keyward.api.v1.Policy;
import io.keyward.api.v1.PutPolicyRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.ScheduleKeyVersionDestructionRequest;
import io.keyward.api.v1.SetMinDecryptionVersionRequest;
import io.keyward.api.v1.VerifyAuditChainRequest;
import io.keyward.api.v1.VerifyAuditChainResponse;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.keyserver.keys.AutoRotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every AdminService RPC against a real keyserver: success and each documented error code. */
class AdminServiceTest {
  private static final String TEAM_A_CALLER = TestKeyserver.ISSUER + " system:serviceaccount:a:app";

  @TempDir Path dir;
  TestKeyserver server;
  AdminServiceGrpc.AdminServiceBlockingStub admin;
  AdminServiceGrpc.AdminServiceBlockingStub notAdmin;
  KeyServiceGrpc.KeyServiceBlockingStub teamA;

  @BeforeEach
  void start() throws Exception {
    server = TestKeyserver.start(dir);
    freshTokens();
  }

  /** Tokens live one hour on the fake clock; tests that move it further need new ones. */
  void freshTokens() {
    admin = server.admin();
    notAdmin = server.admin(server.tokenFor("a", "app"));
    teamA = server.keys(server.tokenFor("a", "app"));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void createKeyMakesVersionOnePrimaryWithItsSettings() {
    Instant now = server.clock.instant();
    Key key = admin.createKey(CreateKeyRequest.newBuilder().setName("a-orders")
        .setRotationPeriod(hours(24)).setRotateAfterDataKeys(1000).build());
    assertEquals("a-orders", key.getName());
    assertEquals(1, key.getPrimaryVersion());
    assertEquals(1, key.getMinDecryptionVersion());
    assertEquals(hours(24), key.getRotationPeriod());
    assertEquals(1000, key.getRotateAfterDataKeys());
    assertEquals(now.getEpochSecond(), key.getCreateTime().getSeconds());
    assertEquals(1, key.getVersionsCount());
    assertEquals(KeyVersionState.ENABLED, key.getVersions(0).getState());
    assertEquals(0, key.getVersions(0).getDataKeysIssued());

    Key plain = admin.createKey(CreateKeyRequest.newBuilder().setName("a-plain").build());
    assertFalse(plain.hasRotationPeriod(), "no rotation period was asked for");
    assertEquals(0, plain.getRotateAfterDataKeys());
  }

  @Test
  void createKeyRefusesDuplicatesBadNamesShortPeriodsAndNonAdmins() {
    server.createKey("shared");
    expect(Status.Code.ALREADY_EXISTS, () -> admin.createKey(create("shared")));
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.createKey(create("bad name!")));
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.createKey(create("")));
    String shortPeriod = expect(Status.Code.INVALID_ARGUMENT, () -> admin.createKey(
        CreateKeyRequest.newBuilder().setName("a-fast").setRotationPeriod(seconds(3599)).build()));
    assertTrue(shortPeriod.contains("at least 1h"), shortPeriod);
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.createKey(
        CreateKeyRequest.newBuilder().setName("a-backwards").setRotationPeriod(seconds(-3600)).build()));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.createKey(create("a-mine")));
    // None of the refused creates left a key behind.
    for (String name : List.of("a-fast", "a-backwards", "a-mine")) {
      expect(Status.Code.NOT_FOUND, () -> admin.getKey(get(name)));
    }
  }

  @Test
  void getAndListKeysShowVersionsStatesAndDataKeyCounts() {
    admin.createKey(CreateKeyRequest.newBuilder().setName("shared")
        .setRotationPeriod(hours(48)).setRotateAfterDataKeys(100).build());
    server.createKey("a-other");
    for (int i = 0; i < 3; i++) {
      teamA.generateDataKey(generate("shared", Map.of()));
    }
    admin.rotateKey(rotate("shared"));
    teamA.generateDataKey(generate("shared", Map.of()));
    admin.disableKeyVersion(version("shared", 1));
    admin.setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
        .setName("shared").setMinDecryptionVersion(2).build());

    Key pending = admin.getKey(get("shared"));
    server.keyserver.runMaintenance(); // counters reach the store
    Key key = admin.getKey(get("shared"));
    assertEquals(pending, key, "unflushed and flushed counts must agree");
    assertEquals(2, key.getPrimaryVersion());
    assertEquals(2, key.getMinDecryptionVersion());
    assertEquals(hours(48), key.getRotationPeriod());
    assertEquals(100, key.getRotateAfterDataKeys());
    assertEquals(List.of(1, 2), key.getVersionsList().stream().map(KeyVersion::getVersion).toList());
    assertEquals(KeyVersionState.DISABLED, key.getVersions(0).getState());
    assertEquals(KeyVersionState.ENABLED, key.getVersions(1).getState());
    assertEquals(3, key.getVersions(0).getDataKeysIssued());
    assertEquals(1, key.getVersions(1).getDataKeysIssued());

    List<Key> listed = admin.listKeys(ListKeysRequest.getDefaultInstance()).getKeysList();
    assertEquals(List.of("a-other", "shared"), listed.stream().map(Key::getName).sorted().toList());
    assertEquals(key, listed.stream().filter(k -> k.getName().equals("shared")).findFirst().orElseThrow());

    expect(Status.Code.NOT_FOUND, () -> admin.getKey(get("missing")));
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.getKey(get("bad name!")));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.getKey(get("shared")));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.listKeys(ListKeysRequest.getDefaultInstance()));
  }

  @Test
  void rotateKeyAddsAPrimaryAndOldDataKeysStillOpen() {
    server.createKey("shared");
    GenerateDataKeyResponse v1 = teamA.generateDataKey(generate("shared", Map.of()));
    server.clock.advance(java.time.Duration.ofMinutes(5));
    Key rotated = admin.rotateKey(rotate("shared"));
    assertEquals(2, rotated.getPrimaryVersion());
    assertEquals(1, rotated.getMinDecryptionVersion());
    assertEquals(List.of(KeyVersionState.ENABLED, KeyVersionState.ENABLED),
        rotated.getVersionsList().stream().map(KeyVersion::getState).toList());
    assertEquals(server.clock.instant().getEpochSecond(), rotated.getVersions(1).getCreateTime().getSeconds());
    assertEquals(2, teamA.generateDataKey(generate("shared", Map.of())).getKeyVersion());
    assertEquals(v1.getPlaintextDataKey(),
        teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of())).getPlaintextDataKey());

    expect(Status.Code.NOT_FOUND, () -> admin.rotateKey(rotate("missing")));
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.rotateKey(rotate("bad name!")));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.rotateKey(rotate("shared")));
    assertEquals(2, admin.getKey(get("shared")).getPrimaryVersion());
  }

  @Test
  void enableAndDisableKeyVersion() {
    server.createKey("shared");
    admin.rotateKey(rotate("shared"));
    Key disabled = admin.disableKeyVersion(version("shared", 1));
    assertEquals(KeyVersionState.DISABLED, disabled.getVersions(0).getState());
    String primary = expect(Status.Code.FAILED_PRECONDITION, () -> admin.disableKeyVersion(version("shared", 2)));
    assertTrue(primary.contains("primary"), primary);
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.disableKeyVersion(version("shared", 0)));
    expect(Status.Code.NOT_FOUND, () -> admin.disableKeyVersion(version("shared", 9)));
    expect(Status.Code.NOT_FOUND, () -> admin.enableKeyVersion(version("missing", 1)));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.enableKeyVersion(version("shared", 1)));
    assertEquals(KeyVersionState.DISABLED, admin.getKey(get("shared")).getVersions(0).getState());

    Key enabled = admin.enableKeyVersion(version("shared", 1));
    assertEquals(KeyVersionState.ENABLED, enabled.getVersions(0).getState());
    assertEquals(2, enabled.getPrimaryVersion());
  }

  @Test
  void minDecryptionVersionCannotPassThePrimaryOrBeZero() {
    server.createKey("shared");
    admin.rotateKey(rotate("shared"));
    String above = expect(Status.Code.FAILED_PRECONDITION, () -> admin.setMinDecryptionVersion(min("shared", 3)));
    assertTrue(above.contains("above the primary"), above);
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.setMinDecryptionVersion(min("shared", 0)));
    expect(Status.Code.NOT_FOUND, () -> admin.setMinDecryptionVersion(min("missing", 1)));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.setMinDecryptionVersion(min("shared", 2)));
    assertEquals(1, admin.getKey(get("shared")).getMinDecryptionVersion());
    assertEquals(2, admin.setMinDecryptionVersion(min("shared", 2)).getMinDecryptionVersion());
  }

  @Test
  void destructionWaitsThenErasesTheSecretFromTheDatabaseFile() throws Exception {
    server.createKey("shared");
    GenerateDataKeyResponse v1 = teamA.generateDataKey(generate("shared", Map.of("doc", "1")));
    admin.rotateKey(rotate("shared"));
    byte[] wrappedSecret = storedSecret("shared", 1);
    assertNotNull(wrappedSecret);

    expect(Status.Code.FAILED_PRECONDITION, () -> admin.scheduleKeyVersionDestruction(destroy("shared", 2, hours(2))));
    String tooSoon = expect(Status.Code.INVALID_ARGUMENT,
        () -> admin.scheduleKeyVersionDestruction(destroy("shared", 1, seconds(1800))));
    assertTrue(tooSoon.contains("at least"), tooSoon);
    expect(Status.Code.NOT_FOUND, () -> admin.scheduleKeyVersionDestruction(destroy("shared", 7, hours(2))));
    expect(Status.Code.PERMISSION_DENIED,
        () -> notAdmin.scheduleKeyVersionDestruction(destroy("shared", 1, hours(2))));

    Instant scheduledAt = server.clock.instant();
    Key scheduled = admin.scheduleKeyVersionDestruction(destroy("shared", 1, hours(2)));
    KeyVersion v = scheduled.getVersions(0);
    assertEquals(KeyVersionState.DESTROY_SCHEDULED, v.getState());
    assertEquals(scheduledAt.plusSeconds(7200).getEpochSecond(), v.getDestroyTime().getSeconds());
    String pendingMessage = expect(Status.Code.FAILED_PRECONDITION,
        () -> teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of("doc", "1"))));
    assertTrue(pendingMessage.contains("scheduled for destruction"), pendingMessage);
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.scheduleKeyVersionDestruction(destroy("shared", 1, hours(2))));
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.enableKeyVersion(version("shared", 1)));

    server.clock.advance(java.time.Duration.ofMinutes(119));
    server.keyserver.runMaintenance();
    freshTokens();
    assertEquals(KeyVersionState.DESTROY_SCHEDULED, admin.getKey(get("shared")).getVersions(0).getState());
    assertArrayEquals(wrappedSecret, storedSecret("shared", 1), "erased before its time");

    server.clock.advance(java.time.Duration.ofMinutes(1));
    server.keyserver.runMaintenance();
    freshTokens(); // the first ones expired with the clock
    Key destroyed = admin.getKey(get("shared"));
    assertEquals(KeyVersionState.DESTROYED, destroyed.getVersions(0).getState());
    assertEquals(v.getDestroyTime(), destroyed.getVersions(0).getDestroyTime(), "destroy_time is kept when destroyed");
    assertEquals(KeyVersionState.ENABLED, destroyed.getVersions(1).getState());
    assertNull(storedSecret("shared", 1), "wrapped secret column must be NULL");
    assertNull(storedRootKeyId("shared", 1));
    for (Path file : databaseFiles()) {
      assertFalse(contains(Files.readAllBytes(file), wrappedSecret), "secret bytes still in " + file.getFileName());
    }

    String gone = expect(Status.Code.FAILED_PRECONDITION,
        () -> teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of("doc", "1"))));
    assertTrue(gone.contains("destroyed"), gone);
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.enableKeyVersion(version("shared", 1)));
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.scheduleKeyVersionDestruction(destroy("shared", 1, hours(2))));
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.cancelKeyVersionDestruction(version("shared", 1)));
  }

  @Test
  void defaultWaitingPeriodApplies() {
    server.createKey("shared");
    admin.rotateKey(rotate("shared"));
    Key scheduled = admin.scheduleKeyVersionDestruction(ScheduleKeyVersionDestructionRequest.newBuilder()
        .setName("shared").setVersion(1).build());
    // TestKeyserver's default waiting period is one day.
    assertEquals(server.clock.instant().plusSeconds(86_400).getEpochSecond(),
        scheduled.getVersions(0).getDestroyTime().getSeconds());
  }

  @Test
  void cancelledDestructionLeavesTheVersionDisabled() {
    server.createKey("shared");
    GenerateDataKeyResponse v1 = teamA.generateDataKey(generate("shared", Map.of()));
    admin.rotateKey(rotate("shared"));
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.cancelKeyVersionDestruction(version("shared", 1)));
    admin.scheduleKeyVersionDestruction(destroy("shared", 1, hours(2)));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.cancelKeyVersionDestruction(version("shared", 1)));

    Key cancelled = admin.cancelKeyVersionDestruction(version("shared", 1));
    assertEquals(KeyVersionState.DISABLED, cancelled.getVersions(0).getState());
    assertFalse(cancelled.getVersions(0).hasDestroyTime());
    server.clock.advance(java.time.Duration.ofHours(3));
    server.keyserver.runMaintenance();
    freshTokens();
    assertEquals(KeyVersionState.DISABLED, admin.getKey(get("shared")).getVersions(0).getState());
    expect(Status.Code.FAILED_PRECONDITION, () -> teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of())));

    admin.enableKeyVersion(version("shared", 1));
    assertEquals(v1.getPlaintextDataKey(),
        teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of())).getPlaintextDataKey());
  }

  @Test
  void getPolicyReturnsTheSeededDocument() {
    Policy policy = admin.getPolicy(GetPolicyRequest.getDefaultInstance());
    assertEquals(TestKeyserver.POLICY, policy.getDocument());
    assertEquals(1, policy.getRevision());
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.getPolicy(GetPolicyRequest.getDefaultInstance()));
  }

  @Test
  void invalidPolicyIsRefusedWithLineNumbersAndNothingIsStored() {
    String broken = """
        rules:
          - name: operators
            match:
              subject: "system:serviceaccount:ops:admin"
            keys: ["**"]
            operations: [all]
          - name: typo
            match:
              nmespace: a
            keys: ["shared"]
            operations: [encrpyt]
        """;
    String message = expect(Status.Code.INVALID_ARGUMENT, () -> admin.putPolicy(put(broken, 0, false)));
    assertTrue(message.contains("line 9"), message);
    assertTrue(message.contains("line 11"), message);
    expect(Status.Code.INVALID_ARGUMENT, () -> admin.putPolicy(put(broken, 0, true)));
    Policy stored = admin.getPolicy(GetPolicyRequest.getDefaultInstance());
    assertEquals(TestKeyserver.POLICY, stored.getDocument());
    assertEquals(1, stored.getRevision());
  }

  @Test
  void putPolicyChecksRevisionValidatesOnlyOnRequestAndTakesEffectAtOnce() {
    server.createKey("shared");
    teamA.generateDataKey(generate("shared", Map.of()));
    String withoutTeamA = """
        rules:
          - name: operators
            match:
              subject: "system:serviceaccount:ops:admin"
            keys: ["**"]
            operations: [all]
        """;
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.putPolicy(put(withoutTeamA, 7, false)));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.putPolicy(put(withoutTeamA, 0, false)));

    Policy validated = admin.putPolicy(put(withoutTeamA, 0, true));
    assertEquals(withoutTeamA, validated.getDocument());
    assertEquals(1, validated.getRevision());
    assertEquals(TestKeyserver.POLICY, admin.getPolicy(GetPolicyRequest.getDefaultInstance()).getDocument());
    teamA.generateDataKey(generate("shared", Map.of())); // still allowed: nothing was stored

    Policy stored = admin.putPolicy(put(withoutTeamA, 1, false));
    assertEquals(2, stored.getRevision());
    assertEquals(withoutTeamA, admin.getPolicy(GetPolicyRequest.getDefaultInstance()).getDocument());
    expect(Status.Code.PERMISSION_DENIED, () -> teamA.generateDataKey(generate("shared", Map.of())));
    // The old revision no longer matches.
    expect(Status.Code.FAILED_PRECONDITION, () -> admin.putPolicy(put(TestKeyserver.POLICY, 1, false)));
  }

  @Test
  void auditRecordsNameCallerOperationKeyVersionAndOutcomeButNoSecrets() {
    String token = server.tokenFor("a", "app");
    KeyServiceGrpc.KeyServiceBlockingStub caller = server.keys(token);
    server.createKey("shared");
    server.createKey("b-ledger");
    GenerateDataKeyResponse issued = caller.generateDataKey(generate("shared", Map.of("order", "42")));
    caller.decryptDataKey(decrypt(issued.getWrappedDataKey(), Map.of("order", "42")));
    expect(Status.Code.PERMISSION_DENIED, () -> caller.generateDataKey(generate("b-ledger", Map.of())));

    List<AuditRecord> tail = admin.listAuditRecords(ListAuditRecordsRequest.newBuilder()
        .setTail(true).setLimit(3).build()).getRecordsList();
    assertEquals(3, tail.size());
    assertEquals(tail.get(0).getSequence() + 2, tail.get(2).getSequence(), "tail is oldest first, no gaps");
    AuditRecord generated = tail.get(0);
    assertEquals(TEAM_A_CALLER, generated.getCaller());
    assertEquals("GenerateDataKey", generated.getOperation());
    assertEquals("shared", generated.getKeyName());
    assertEquals(1, generated.getKeyVersion());
    assertEquals("OK", generated.getOutcome());
    assertEquals("DecryptDataKey", tail.get(1).getOperation());
    assertEquals("shared", tail.get(1).getKeyName());
    assertEquals("OK", tail.get(1).getOutcome());
    AuditRecord denied = tail.get(2);
    assertEquals(TEAM_A_CALLER, denied.getCaller());
    assertEquals("b-ledger", denied.getKeyName());
    assertEquals("PERMISSION_DENIED", denied.getOutcome());

    ListAuditRecordsResponse all = admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setLimit(1000).build());
    assertEquals(1, all.getRecords(0).getSequence());
    assertEquals(all.getRecordsCount(), all.getRecords(all.getRecordsCount() - 1).getSequence());
    String everything = all.toString();
    List<String> secrets = List.of(token, token.split("\\.")[1], token.split("\\.")[2],
        Base64.getEncoder().encodeToString(issued.getPlaintextDataKey().toByteArray()),
        Base64.getUrlEncoder().withoutPadding().encodeToString(issued.getPlaintextDataKey().toByteArray()),
        HexFormat.of().formatHex(issued.getPlaintextDataKey().toByteArray()),
        Base64.getEncoder().encodeToString(issued.getWrappedDataKey().toByteArray()));
    for (String secret : secrets) {
      assertFalse(everything.contains(secret), "audit listing holds a token or key material");
    }

    List<AuditRecord> after = admin.listAuditRecords(ListAuditRecordsRequest.newBuilder()
        .setAfterSequence(2).setLimit(2).build()).getRecordsList();
    assertEquals(List.of(3L, 4L), after.stream().map(AuditRecord::getSequence).toList());
    String tooMany = expect(Status.Code.INVALID_ARGUMENT,
        () -> admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setLimit(1001).build()));
    assertTrue(tooMany.contains("1001"), tooMany);
    // limit is a uint32 and after_sequence a uint64: their largest values must not wrap.
    String largest = expect(Status.Code.INVALID_ARGUMENT,
        () -> admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setLimit(-1).build()));
    assertTrue(largest.contains("4294967295"), largest);
    expect(Status.Code.INVALID_ARGUMENT,
        () -> admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setTail(true).setLimit(-1).build()));
    assertEquals(0, admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setAfterSequence(-1).build())
        .getRecordsCount(), "nothing follows sequence 2^64-1");
    assertEquals(0, admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setAfterSequence(1_000_000).build())
        .getRecordsCount());
    expect(Status.Code.PERMISSION_DENIED,
        () -> notAdmin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setTail(true).build()));
  }

  @Test
  void editedAuditRecordIsNamedByVerification() throws Exception {
    fillAuditLog();
    VerifyAuditChainResponse intact = admin.verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertTrue(intact.getIntact(), intact.getReason());
    assertTrue(intact.getRecordsChecked() >= 5, "checked " + intact.getRecordsChecked());
    assertEquals(0, intact.getFirstBrokenSequence());
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance()));

    // Blame someone else for record 3 (a DecryptDataKey by team A).
    sql("UPDATE " + auditTable() + " SET caller = '" + TestKeyserver.ISSUER + " system:serviceaccount:b:app' WHERE seq = 3");
    VerifyAuditChainResponse broken = admin.verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertFalse(broken.getIntact());
    assertEquals(3, broken.getFirstBrokenSequence(), broken.getReason());
    assertFalse(broken.getReason().isEmpty());
  }

  @Test
  void deletedAuditRecordIsDetected() throws Exception {
    fillAuditLog();
    sql("DELETE FROM " + auditTable() + " WHERE seq = 4");
    VerifyAuditChainResponse broken = admin.verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertFalse(broken.getIntact());
    assertEquals(4, broken.getFirstBrokenSequence(), broken.getReason());
    assertTrue(broken.getReason().contains("missing"), broken.getReason());
  }

  @Test
  void newestAuditRecordsDeletedAreDetected() throws Exception {
    fillAuditLog();
    long last = admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setTail(true).setLimit(1).build())
        .getRecords(0).getSequence();
    sql("DELETE FROM " + auditTable() + " WHERE seq >= " + (last - 1));
    VerifyAuditChainResponse broken = admin.verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertFalse(broken.getIntact(), "truncated tail went unnoticed");
  }

  @Test
  void keyRotatesByItselfAfterItsDataKeyLimit() {
    admin.createKey(CreateKeyRequest.newBuilder().setName("a-usage").setRotateAfterDataKeys(5).build());
    for (int i = 0; i < 5; i++) {
      assertEquals(1, teamA.generateDataKey(generate("a-usage", Map.of())).getKeyVersion());
    }
    server.keyserver.runMaintenance();
    Key rotated = awaitPrimary("a-usage", 2);
    assertEquals(2, rotated.getVersionsCount(), "rotated more than once");
    assertEquals(5, rotated.getVersions(0).getDataKeysIssued());
    assertEquals(2, teamA.generateDataKey(generate("a-usage", Map.of())).getKeyVersion());
    awaitAudit(r -> r.getOperation().equals("RotateKey") && r.getCaller().equals(AutoRotation.CALLER)
        && r.getKeyName().equals("a-usage") && r.getKeyVersion() == 2 && r.getOutcome().equals("OK"));
  }

  /** Polls the audit tail until a record matches; the automatic rotation audits off the request path. */
  private void awaitAudit(java.util.function.Predicate<AuditRecord> wanted) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    List<AuditRecord> tail;
    do {
      tail = admin.listAuditRecords(ListAuditRecordsRequest.newBuilder().setTail(true).setLimit(50).build())
          .getRecordsList();
      if (tail.stream().anyMatch(wanted)) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("no matching audit record within 10s: " + tail);
  }

  @Test
  void keyRotatesByItselfWhenItsPrimaryIsOlderThanTheRotationPeriod() {
    Instant created = server.clock.instant();
    admin.createKey(CreateKeyRequest.newBuilder().setName("a-aged").setRotationPeriod(hours(1)).build());
    server.clock.advance(java.time.Duration.ofMinutes(59));
    server.keyserver.runMaintenance();
    server.clock.advance(java.time.Duration.ofMinutes(1));
    server.keyserver.runMaintenance();
    freshTokens();
    Key rotated = awaitPrimary("a-aged", 2);
    assertEquals(2, rotated.getVersionsCount(), "rotated more than once");
    // Created after the period had passed, not at the 59-minute check.
    assertEquals(created.plusSeconds(3600).getEpochSecond(), rotated.getVersions(1).getCreateTime().getSeconds());
  }

  @Test
  void versionNumbersAboveTheSignedRangeAreNotFoundOrAboveThePrimary() {
    server.createKey("a-secrets");
    // uint32 4294967295 on the wire arrives as -1 in Java.
    String missing = expect(Status.Code.NOT_FOUND, () -> admin.disableKeyVersion(version("a-secrets", -1)));
    assertTrue(missing.contains("4294967295"), missing);
    String above = expect(Status.Code.FAILED_PRECONDITION, () -> admin.setMinDecryptionVersion(min("a-secrets", -1)));
    assertTrue(above.contains("4294967295"), above);
  }

  @Test
  void everyAdminRpcNeedsAnAdminPermission() {
    server.createKey("a-secrets");
    List<Executable> calls = List.of(
        () -> notAdmin.createKey(create("a-new")),
        () -> notAdmin.getKey(get("a-secrets")),
        () -> notAdmin.listKeys(ListKeysRequest.getDefaultInstance()),
        () -> notAdmin.rotateKey(rotate("a-secrets")),
        () -> notAdmin.enableKeyVersion(version("a-secrets", 1)),
        () -> notAdmin.disableKeyVersion(version("a-secrets", 1)),
        () -> notAdmin.setMinDecryptionVersion(min("a-secrets", 1)),
        () -> notAdmin.scheduleKeyVersionDestruction(destroy("a-secrets", 1, hours(48))),
        () -> notAdmin.cancelKeyVersionDestruction(version("a-secrets", 1)),
        () -> notAdmin.getPolicy(GetPolicyRequest.getDefaultInstance()),
        () -> notAdmin.putPolicy(put("rules: []\n", 0, false)),
        () -> notAdmin.listAuditRecords(ListAuditRecordsRequest.getDefaultInstance()),
        () -> notAdmin.verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance()));
    for (Executable call : calls) {
      expect(Status.Code.PERMISSION_DENIED, call);
    }
    Key untouched = admin.getKey(get("a-secrets"));
    assertEquals(1, untouched.getVersionsCount());
    assertEquals(KeyVersionState.ENABLED, untouched.getVersions(0).getState());
    List<AuditRecord> denied = admin.listAuditRecords(ListAuditRecordsRequest.newBuilder()
        .setTail(true).setLimit(calls.size() + 1).build()).getRecordsList().subList(0, calls.size());
    assertTrue(denied.stream().allMatch(r -> r.getOutcome().equals("PERMISSION_DENIED")
        && r.getCaller().equals(TEAM_A_CALLER)), denied.toString());
  }

  /** Polls GetKey until the background rotation lands; bounded, never a fixed sleep. */
  private Key awaitPrimary(String name, int primary) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    Key key = server.admin().getKey(get(name));
    while (key.getPrimaryVersion() != primary && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      key = server.admin().getKey(get(name));
    }
    assertEquals(primary, key.getPrimaryVersion(), "automatic rotation did not happen within 10s");
    return key;
  }

  private void fillAuditLog() {
    server.createKey("shared");
    GenerateDataKeyResponse issued = teamA.generateDataKey(generate("shared", Map.of()));
    teamA.decryptDataKey(decrypt(issued.getWrappedDataKey(), Map.of()));
    expect(Status.Code.PERMISSION_DENIED, () -> notAdmin.rotateKey(rotate("shared")));
    admin.rotateKey(rotate("shared"));
    teamA.decryptDataKey(decrypt(issued.getWrappedDataKey(), Map.of()));
  }

  private Connection jdbc() throws Exception {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keyward.db"));
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 5000");
    }
    return c;
  }

  private void sql(String statement) throws Exception {
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      assertTrue(s.executeUpdate(statement) > 0, "statement changed nothing: " + statement);
    }
  }

  private String auditTable() throws Exception {
    try (Connection c = jdbc()) {
      return KeyServiceTest.auditTable(c);
    }
  }

  private byte[] storedSecret(String key, int version) throws Exception {
    return (byte[]) versionColumn("wrapped_secret", key, version);
  }

  private Object storedRootKeyId(String key, int version) throws Exception {
    return versionColumn("root_key_id", key, version);
  }

  private Object versionColumn(String column, String key, int version) throws Exception {
    try (Connection c = jdbc(); PreparedStatement s = c.prepareStatement(
        "SELECT " + column + " FROM key_versions WHERE key_name = ? AND version = ?")) {
      s.setString(1, key);
      s.setInt(2, version);
      try (ResultSet rs = s.executeQuery()) {
        assertTrue(rs.next(), "no row for " + key + " v" + version);
        return rs.getObject(1);
      }
    }
  }

  private List<Path> databaseFiles() {
    List<Path> files = new ArrayList<>();
    for (String suffix : List.of("", "-wal", "-journal")) {
      Path file = dir.resolve("keyward.db" + suffix);
      if (Files.exists(file)) {
        files.add(file);
      }
    }
    return files;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  static Duration hours(long h) {
    return seconds(h * 3600);
  }

  static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  static CreateKeyRequest create(String name) {
    return CreateKeyRequest.newBuilder().setName(name).build();
  }

  static GetKeyRequest get(String name) {
    return GetKeyRequest.newBuilder().setName(name).build();
  }

  static RotateKeyRequest rotate(String name) {
    return RotateKeyRequest.newBuilder().setName(name).build();
  }

  static KeyVersionRequest version(String name, int version) {
    return KeyVersionRequest.newBuilder().setName(name).setVersion(version).build();
  }

  static SetMinDecryptionVersionRequest min(String name, int version) {
    return SetMinDecryptionVersionRequest.newBuilder().setName(name).setMinDecryptionVersion(version).build();
  }

  static ScheduleKeyVersionDestructionRequest destroy(String name, int version, Duration wait) {
    return ScheduleKeyVersionDestructionRequest.newBuilder().setName(name).setVersion(version)
        .setWaitingPeriod(wait).build();
  }

  static PutPolicyRequest put(String document, long expectedRevision, boolean validateOnly) {
    return PutPolicyRequest.newBuilder().setDocument(document).setExpectedRevision(expectedRevision)
        .setValidateOnly(validateOnly).build();
  }
}
