package io.keyward.keyserver.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.DecryptRequest;
import io.keyward.api.v1.EncryptRequest;
import io.keyward.api.v1.EncryptResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.RewrapDataKeyRequest;
import io.keyward.api.v1.RewrapDataKeyResponse;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.SetMinDecryptionVersionRequest;
import io.keyward.keyserver.TestKeyserver;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class KeyServiceTest {
  @TempDir Path dir;
  TestKeyserver server;
  KeyServiceGrpc.KeyServiceBlockingStub teamA;
  KeyServiceGrpc.KeyServiceBlockingStub teamB;

  @BeforeEach
  void start() throws Exception {
    server = TestKeyserver.start(dir);
    server.createKey("shared");
    server.createKey("a-secrets");
    server.createKey("tenants");
    teamA = server.keys(server.tokenFor("a", "app"));
    teamB = server.keys(server.tokenFor("b", "app"));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void generatedDataKeyUnwrapsWithTheSameContext() {
    GenerateDataKeyResponse issued = teamA.generateDataKey(generate("shared", Map.of("order", "42")));
    assertEquals(32, issued.getPlaintextDataKey().size());
    assertEquals("shared", issued.getKeyName());
    assertEquals(1, issued.getKeyVersion());
    assertFalse(issued.getWrappedDataKey().toStringUtf8().contains(issued.getPlaintextDataKey().toStringUtf8()));

    DecryptDataKeyResponse opened = teamA.decryptDataKey(decrypt(issued.getWrappedDataKey(), Map.of("order", "42")));
    assertEquals(issued.getPlaintextDataKey(), opened.getPlaintextDataKey());
    assertEquals("shared", opened.getKeyName());
    assertEquals(1, opened.getKeyVersion());
  }

  @Test
  void twoDataKeysAreDifferent() {
    GenerateDataKeyResponse first = teamA.generateDataKey(generate("shared", Map.of()));
    GenerateDataKeyResponse second = teamA.generateDataKey(generate("shared", Map.of()));
    assertFalse(first.getPlaintextDataKey().equals(second.getPlaintextDataKey()));
  }

  @Test
  void changedContextOrTamperedKeyFailsWithOneMessage() {
    GenerateDataKeyResponse issued = teamA.generateDataKey(generate("shared", Map.of("order", "42")));
    String wrongContext = expect(Status.Code.INVALID_ARGUMENT,
        () -> teamA.decryptDataKey(decrypt(issued.getWrappedDataKey(), Map.of("order", "43"))));
    byte[] tampered = issued.getWrappedDataKey().toByteArray();
    tampered[tampered.length - 1] ^= 1;
    String tamperedMessage = expect(Status.Code.INVALID_ARGUMENT,
        () -> teamA.decryptDataKey(decrypt(ByteString.copyFrom(tampered), Map.of("order", "42"))));
    String garbage = expect(Status.Code.INVALID_ARGUMENT,
        () -> teamA.decryptDataKey(decrypt(ByteString.copyFromUtf8("not a key"), Map.of())));
    assertEquals(wrongContext, tamperedMessage);
    assertEquals(wrongContext, garbage);
  }

  @Test
  void workloadACannotUnwrapWorkloadBsDataKey() {
    server.createKey("b-ledger");
    GenerateDataKeyResponse bKey = teamB.generateDataKey(generate("b-ledger", Map.of()));
    expect(Status.Code.PERMISSION_DENIED, () -> teamA.decryptDataKey(decrypt(bKey.getWrappedDataKey(), Map.of())));
    expect(Status.Code.PERMISSION_DENIED, () -> teamA.generateDataKey(generate("b-ledger", Map.of())));
    // What A may not use, A may not learn about either: an unknown key looks the same.
    expect(Status.Code.PERMISSION_DENIED, () -> teamA.generateDataKey(generate("b-missing", Map.of())));
  }

  @Test
  void tenantContextMustEqualTheCallersNamespace() {
    KeyServiceGrpc.KeyServiceBlockingStub tenantA = server.keys(server.tokenFor("a", "tenant-app"));
    KeyServiceGrpc.KeyServiceBlockingStub tenantB = server.keys(server.tokenFor("b", "tenant-app"));
    GenerateDataKeyResponse aKey = tenantA.generateDataKey(generate("tenants", Map.of("tenant", "a")));
    assertEquals(aKey.getPlaintextDataKey(),
        tenantA.decryptDataKey(decrypt(aKey.getWrappedDataKey(), Map.of("tenant", "a"))).getPlaintextDataKey());
    expect(Status.Code.PERMISSION_DENIED, () -> tenantB.decryptDataKey(decrypt(aKey.getWrappedDataKey(), Map.of("tenant", "a"))));
    // B may use its own tenant value, but A's key is bound to tenant a: it fails integrity.
    expect(Status.Code.INVALID_ARGUMENT, () -> tenantB.decryptDataKey(decrypt(aKey.getWrappedDataKey(), Map.of("tenant", "b"))));
    expect(Status.Code.PERMISSION_DENIED, () -> tenantA.generateDataKey(generate("tenants", Map.of("tenant", "b"))));
    expect(Status.Code.PERMISSION_DENIED, () -> tenantA.generateDataKey(generate("tenants", Map.of())));
  }

  @Test
  void unknownKeyIsNotFound() {
    expect(Status.Code.NOT_FOUND, () -> teamA.generateDataKey(generate("a-missing", Map.of())));
    expect(Status.Code.NOT_FOUND, () -> teamA.encrypt(EncryptRequest.newBuilder().setKeyName("a-missing").build()));
  }

  @Test
  void malformedInputIsInvalidArgument() {
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.generateDataKey(generate("", Map.of())));
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.generateDataKey(generate("bad name!", Map.of())));
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.generateDataKey(generate("shared", Map.of("k", "v".repeat(2000)))));
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.decryptDataKey(decrypt(ByteString.EMPTY, Map.of())));
  }

  @Test
  void missingOrBadTokenIsUnauthenticated() {
    expect(Status.Code.UNAUTHENTICATED, () -> server.keysWithoutToken().generateDataKey(generate("shared", Map.of())));
    expect(Status.Code.UNAUTHENTICATED, () -> server.keys("garbage").generateDataKey(generate("shared", Map.of())));
  }

  @Test
  void rotationKeepsOldKeysWorkingAndRewrapMovesThemForward() {
    GenerateDataKeyResponse v1 = teamA.generateDataKey(generate("shared", Map.of("doc", "1")));
    server.admin().rotateKey(RotateKeyRequest.newBuilder().setName("shared").build());
    GenerateDataKeyResponse v2 = teamA.generateDataKey(generate("shared", Map.of("doc", "2")));
    assertEquals(2, v2.getKeyVersion());
    assertEquals(v1.getPlaintextDataKey(),
        teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of("doc", "1"))).getPlaintextDataKey());

    KeyServiceGrpc.KeyServiceBlockingStub operator = server.keys(server.adminToken());
    RewrapDataKeyResponse rewrapped = operator.rewrapDataKey(RewrapDataKeyRequest.newBuilder()
        .setWrappedDataKey(v1.getWrappedDataKey()).putEncryptionContext("doc", "1").build());
    assertEquals(2, rewrapped.getKeyVersion());
    assertEquals(1, rewrapped.getPreviousKeyVersion());
    // Workloads with only encrypt/decrypt may not rewrap.
    expect(Status.Code.PERMISSION_DENIED, () -> teamA.rewrapDataKey(RewrapDataKeyRequest.newBuilder()
        .setWrappedDataKey(v1.getWrappedDataKey()).putEncryptionContext("doc", "1").build()));

    server.admin().setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
        .setName("shared").setMinDecryptionVersion(2).build());
    String below = expect(Status.Code.FAILED_PRECONDITION,
        () -> teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of("doc", "1"))));
    assertTrue(below.contains("below the minimum decryption version 2"), below);
    assertEquals(v1.getPlaintextDataKey(), teamA.decryptDataKey(
        decrypt(rewrapped.getWrappedDataKey(), Map.of("doc", "1"))).getPlaintextDataKey());
  }

  @Test
  void disabledVersionDoesNotDecryptUntilEnabledAgain() {
    GenerateDataKeyResponse v1 = teamA.generateDataKey(generate("shared", Map.of()));
    server.admin().rotateKey(RotateKeyRequest.newBuilder().setName("shared").build());
    server.admin().disableKeyVersion(KeyVersionRequest.newBuilder().setName("shared").setVersion(1).build());
    String disabled = expect(Status.Code.FAILED_PRECONDITION,
        () -> teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of())));
    assertTrue(disabled.contains("disabled"), disabled);
    server.admin().enableKeyVersion(KeyVersionRequest.newBuilder().setName("shared").setVersion(1).build());
    assertEquals(v1.getPlaintextDataKey(),
        teamA.decryptDataKey(decrypt(v1.getWrappedDataKey(), Map.of())).getPlaintextDataKey());
  }

  @Test
  void serverSideEncryptAndDecryptUpTo4KiB() {
    byte[] plaintext = new byte[4096];
    new java.util.Random(1).nextBytes(plaintext);
    EncryptResponse sealed = teamA.encrypt(EncryptRequest.newBuilder().setKeyName("shared")
        .setPlaintext(ByteString.copyFrom(plaintext)).putEncryptionContext("id", "7").build());
    assertArrayEquals(plaintext, teamA.decrypt(DecryptRequest.newBuilder().setCiphertext(sealed.getCiphertext())
        .putEncryptionContext("id", "7").build()).getPlaintext().toByteArray());
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.decrypt(DecryptRequest.newBuilder()
        .setCiphertext(sealed.getCiphertext()).putEncryptionContext("id", "8").build()));
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.encrypt(EncryptRequest.newBuilder().setKeyName("shared")
        .setPlaintext(ByteString.copyFrom(new byte[4097])).build()));
    // A wrapped data key is not a ciphertext.
    GenerateDataKeyResponse issued = teamA.generateDataKey(generate("shared", Map.of()));
    expect(Status.Code.INVALID_ARGUMENT, () -> teamA.decrypt(DecryptRequest.newBuilder()
        .setCiphertext(issued.getWrappedDataKey()).build()));
  }

  @Test
  void unwritableAuditLogFailsTheCallAndIssuesNoKey() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keyward.db"));
        Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 5000");
      s.execute("CREATE TRIGGER audit_sink_broken BEFORE INSERT ON " + auditTable(c)
          + " BEGIN SELECT RAISE(ABORT, 'sink broken'); END");
    }
    String message = expect(Status.Code.UNAVAILABLE, () -> teamA.generateDataKey(generate("shared", Map.of())));
    assertTrue(message.contains("audit"), message);
  }

  @Test
  void storeDownIsUnavailable() {
    server.store.close();
    expect(Status.Code.UNAVAILABLE, () -> teamA.generateDataKey(generate("a-unknown-yet", Map.of())));
  }

  static String auditTable(Connection c) throws java.sql.SQLException {
    try (var rs = c.createStatement().executeQuery(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%audit%' AND name NOT LIKE '%head%'")) {
      assertTrue(rs.next(), "no audit table");
      return rs.getString(1);
    }
  }

  static GenerateDataKeyRequest generate(String key, Map<String, String> context) {
    return GenerateDataKeyRequest.newBuilder().setKeyName(key).putAllEncryptionContext(context).build();
  }

  static DecryptDataKeyRequest decrypt(ByteString wrapped, Map<String, String> context) {
    return DecryptDataKeyRequest.newBuilder().setWrappedDataKey(wrapped).putAllEncryptionContext(context).build();
  }

  /** Asserts the call fails with {@code code}; returns the client-visible description. */
  static String expect(Status.Code code, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), () -> "description: " + e.getStatus().getDescription());
    return e.getStatus().getDescription();
  }
}
