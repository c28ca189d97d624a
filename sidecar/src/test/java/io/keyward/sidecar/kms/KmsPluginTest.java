package io.keyward.sidecar.kms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.ListAuditRecordsRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.SetMinDecryptionVersionRequest;
import io.keyward.kms.v2.DecryptRequest;
import io.keyward.kms.v2.EncryptRequest;
import io.keyward.kms.v2.EncryptResponse;
import io.keyward.kms.v2.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub;
import io.keyward.kms.v2.StatusRequest;
import io.keyward.kms.v2.StatusResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin end to end: a KMS v2 client on the Unix socket, a real TLS keyserver behind it. */
class KmsPluginTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;
  private KmsTestBed bed;
  private KmsPlugin plugin;
  private KeyManagementServiceBlockingStub kms;

  @BeforeEach
  void setUp() throws Exception {
    bed = new KmsTestBed(dir);
    plugin = bed.start();
    kms = bed.client(plugin.socket());
  }

  @AfterEach
  void tearDown() throws Exception {
    bed.close();
  }

  @Test
  void statusIsHealthyAndNamesThePrimaryVersion() {
    StatusResponse status = kms.status(StatusRequest.getDefaultInstance());

    assertEquals("v2", status.getVersion());
    assertEquals("ok", status.getHealthz());
    assertTrue(status.getKeyId().matches("keyward:k8s-secrets:v1:\\d{16}"), status.getKeyId());
  }

  @Test
  void statusIsCachedSoFrequentCallsStayCheap() {
    for (int i = 0; i < 20; i++) {
      assertEquals("ok", kms.status(StatusRequest.getDefaultInstance()).getHealthz());
    }
    assertEquals(1, kmsAuditCount("Encrypt"), "one probe for 20 Status calls");

    bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));
    kms.status(StatusRequest.getDefaultInstance());

    assertEquals(2, kmsAuditCount("Encrypt"), "a new probe once the verdict is older than the max-age");
  }

  @Test
  void encryptThenDecryptReturnsTheSeed() {
    byte[] seed = seed();
    String statusKeyId = kms.status(StatusRequest.getDefaultInstance()).getKeyId();

    EncryptResponse encrypted = encrypt(seed);

    assertEquals(statusKeyId, encrypted.getKeyId());
    assertTrue(encrypted.getCiphertext().size() < 1024, "ciphertext is " + encrypted.getCiphertext().size());
    assertTrue(encrypted.getAnnotationsMap().isEmpty());
    assertFalse(contains(encrypted.getCiphertext().toByteArray(), seed), "seed visible in ciphertext");
    assertArrayEquals(seed, decrypt(encrypted.getCiphertext(), encrypted.getKeyId()));
  }

  @Test
  void identicalSeedsGiveDistinctCiphertexts() {
    byte[] seed = seed();

    EncryptResponse first = encrypt(seed);
    EncryptResponse second = encrypt(seed);

    assertNotEquals(first.getCiphertext(), second.getCiphertext());
    assertArrayEquals(seed, decrypt(second.getCiphertext(), second.getKeyId()));
  }

  @Test
  void rotationChangesKeyIdAndOldCiphertextsStillDecrypt() {
    byte[] oldSeed = seed();
    EncryptResponse old = encrypt(oldSeed);
    String oldKeyId = kms.status(StatusRequest.getDefaultInstance()).getKeyId();

    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());
    // Within the state max-age Status may still name the old version (the documented bound)...
    assertEquals(oldKeyId, kms.status(StatusRequest.getDefaultInstance()).getKeyId());
    bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));
    // ...and after it, the new one.
    String newKeyId = kms.status(StatusRequest.getDefaultInstance()).getKeyId();

    assertNotEquals(oldKeyId, newKeyId);
    assertTrue(newKeyId.startsWith("keyward:k8s-secrets:v2:"), newKeyId);
    byte[] newSeed = seed();
    EncryptResponse fresh = encrypt(newSeed);
    assertEquals(newKeyId, fresh.getKeyId());
    assertArrayEquals(oldSeed, decrypt(old.getCiphertext(), oldKeyId));
    assertArrayEquals(newSeed, decrypt(fresh.getCiphertext(), newKeyId));
    // Each ciphertext only with its own key_id.
    assertCode(Status.Code.INVALID_ARGUMENT, () -> decrypt(old.getCiphertext(), newKeyId));
    assertCode(Status.Code.INVALID_ARGUMENT, () -> decrypt(fresh.getCiphertext(), oldKeyId));
  }

  @Test
  void encryptRightAfterRotationUsesAndReportsTheNewKeyId() {
    String oldKeyId = kms.status(StatusRequest.getDefaultInstance()).getKeyId();
    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());

    EncryptResponse encrypted = encrypt(seed());

    assertTrue(encrypted.getKeyId().startsWith("keyward:k8s-secrets:v2:"), encrypted.getKeyId());
    assertNotEquals(oldKeyId, encrypted.getKeyId());
    // Status follows at once, so kube-apiserver sees one key_id for new writes.
    assertEquals(encrypted.getKeyId(), kms.status(StatusRequest.getDefaultInstance()).getKeyId());
  }

  @Test
  void keyIdIsStableAcrossPluginRestarts() throws Exception {
    EncryptResponse encrypted = encrypt(seed());
    plugin.close();

    KmsPlugin again = bed.start(bed.settings(bed.socket("again.sock")).build());
    KeyManagementServiceBlockingStub client = bed.client(again.socket());

    assertEquals(encrypted.getKeyId(), client.status(StatusRequest.getDefaultInstance()).getKeyId());
    assertEquals(32, client.decrypt(DecryptRequest.newBuilder()
        .setCiphertext(encrypted.getCiphertext()).setKeyId(encrypted.getKeyId()).build()).getPlaintext().size());
  }

  @Test
  void keyIdIsNeverReusedAfterARestoreFromBackup() throws Exception {
    Path store = bed.keyserver.dir.resolve("keyward.db");
    Path backup = dir.resolve("backup");
    bed.keyserver.stop();
    copyStore(store, backup);
    bed.keyserver.restart();
    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());
    assertEquals("ok", awaitHealthy());
    EncryptResponse beforeRestore = encrypt(seed());
    assertTrue(beforeRestore.getKeyId().startsWith("keyward:k8s-secrets:v2:"), beforeRestore.getKeyId());

    // Restore the pre-rotation backup, then rotate again: a different version 2.
    bed.keyserver.stop();
    copyStore(backup, store);
    bed.keyserver.restart();
    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());
    assertEquals("ok", awaitHealthy());
    String afterRestore = kms.status(StatusRequest.getDefaultInstance()).getKeyId();

    assertTrue(afterRestore.startsWith("keyward:k8s-secrets:v2:"), afterRestore);
    assertNotEquals(beforeRestore.getKeyId(), afterRestore);
    // The lost version's ciphertext fails cleanly: its key_id is no longer known.
    assertCode(Status.Code.INVALID_ARGUMENT,
        () -> decrypt(beforeRestore.getCiphertext(), beforeRestore.getKeyId()));
  }

  private static void copyStore(Path from, Path to) throws IOException {
    for (String suffix : List.of("", "-wal", "-shm")) {
      Path source = from.resolveSibling(from.getFileName() + suffix);
      Path target = to.resolveSibling(to.getFileName() + suffix);
      if (Files.exists(source)) {
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(target);
      }
    }
  }

  @Test
  void unknownOrMissingKeyIdFailsCleanly() {
    byte[] seed = seed();
    EncryptResponse encrypted = encrypt(seed);
    String keyId = encrypted.getKeyId();
    List<String> bad = List.of(
        "keyward:k8s-secrets:v1:1",             // right version, wrong creation time (e.g. pre-restore id)
        "keyward:k8s-secrets:v7:" + keyId.substring(keyId.lastIndexOf(':') + 1),
        "keyward:other-key:v1:" + keyId.substring(keyId.lastIndexOf(':') + 1),
        "something-else",
        keyId + "x");

    for (String k : bad) {
      assertCode(Status.Code.INVALID_ARGUMENT, () -> decrypt(encrypted.getCiphertext(), k));
    }
    assertCode(Status.Code.INVALID_ARGUMENT, () -> decrypt(encrypted.getCiphertext(), ""));
    assertArrayEquals(seed, decrypt(encrypted.getCiphertext(), keyId));
  }

  @Test
  void aStreamOfBadKeyIdsCostsAtMostOneGetKeyPerSecond() {
    EncryptResponse encrypted = encrypt(seed());
    long before = kmsAuditCount("GetKey");

    for (int i = 0; i < 50; i++) {
      String bogus = "keyward:k8s-secrets:v1:" + i;
      assertCode(Status.Code.INVALID_ARGUMENT, () -> decrypt(encrypted.getCiphertext(), bogus));
    }
    bed.clock.advance(KeyState.MIN_RETRY);
    assertCode(Status.Code.INVALID_ARGUMENT, () -> decrypt(encrypted.getCiphertext(), "keyward:k8s-secrets:v1:0"));

    // The plugin's clock did not move during the first 50, then moved by one interval.
    assertTrue(kmsAuditCount("GetKey") - before <= 2, "GetKey calls: " + (kmsAuditCount("GetKey") - before));
  }

  @Test
  void raisedMinimumDecryptionVersionStopsOldCiphertexts() {
    byte[] seed = seed();
    EncryptResponse old = encrypt(seed);
    assertArrayEquals(seed, decrypt(old.getCiphertext(), old.getKeyId())); // now cached
    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());
    bed.admin().setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
        .setName(KmsTestBed.KEY).setMinDecryptionVersion(2).build());

    bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));

    StatusRuntimeException e = assertCode(Status.Code.FAILED_PRECONDITION,
        () -> decrypt(old.getCiphertext(), old.getKeyId()));
    assertTrue(e.getStatus().getDescription().contains("minimum decryption version"));
    EncryptResponse fresh = encrypt(seed);
    assertArrayEquals(seed, decrypt(fresh.getCiphertext(), fresh.getKeyId()));
  }

  @Test
  void aNotYetCachedOldCiphertextIsRefusedByTheKeyserverToo() {
    EncryptResponse old = encrypt(seed());
    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());
    bed.admin().setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
        .setName(KmsTestBed.KEY).setMinDecryptionVersion(2).build());

    // The plugin's snapshot still allows v1 (not stale yet): the keyserver's FAILED_PRECONDITION
    // passes through.
    assertCode(Status.Code.FAILED_PRECONDITION, () -> decrypt(old.getCiphertext(), old.getKeyId()));
  }

  @Test
  void keyserverDownMakesStatusUnhealthyWithAReasonAndCachedSeedsStillDecrypt() throws Exception {
    byte[] cachedSeed = seed();
    EncryptResponse cached = encrypt(cachedSeed);
    decrypt(cached.getCiphertext(), cached.getKeyId());
    byte[] uncachedSeed = seed();
    EncryptResponse uncached = encrypt(uncachedSeed);
    String keyId = kms.status(StatusRequest.getDefaultInstance()).getKeyId();

    bed.keyserver.stop();
    bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));

    StatusResponse down = kms.status(StatusRequest.getDefaultInstance());
    assertEquals("v2", down.getVersion());
    assertTrue(down.getHealthz().startsWith("keyserver unreachable"), down.getHealthz());
    assertEquals(keyId, down.getKeyId(), "the last known key_id is still reported");
    assertArrayEquals(cachedSeed, decrypt(cached.getCiphertext(), cached.getKeyId()));
    assertCode(Status.Code.UNAVAILABLE, () -> decrypt(uncached.getCiphertext(), uncached.getKeyId()));
    assertCode(Status.Code.UNAVAILABLE, () -> encrypt(seed()));

    bed.keyserver.restart();
    assertEquals("ok", awaitHealthy(), "Status recovers after the keyserver is back");
    assertArrayEquals(uncachedSeed, decrypt(uncached.getCiphertext(), uncached.getKeyId()));
  }

  @Test
  void identityWithoutTheKmsRuleIsReportedInStatus() throws Exception {
    KmsPlugin denied = bed.start(bed.settings(bed.socket("denied.sock"), bed.keyserver.tokenFor("a", "app")).build());
    KeyManagementServiceBlockingStub client = bed.client(denied.socket());

    StatusResponse status = client.status(StatusRequest.getDefaultInstance());

    assertEquals("policy denies the plugin encrypt, decrypt or read-key on key k8s-secrets", status.getHealthz());
    assertCode(Status.Code.FAILED_PRECONDITION, () -> client.encrypt(EncryptRequest.newBuilder()
        .setPlaintext(ByteString.copyFrom(seed())).build()));
  }

  @Test
  void rejectedTokenIsReportedAndARefreshedTokenFileIsPickedUp() throws Exception {
    Path socket = bed.socket("token.sock");
    KmsPluginSettings settings = bed.settings(socket, "not-a-jwt").build();
    KmsPlugin p = bed.start(settings);
    KeyManagementServiceBlockingStub client = bed.client(p.socket());

    assertEquals("keyserver rejected the plugin's token (UNAUTHENTICATED)",
        client.status(StatusRequest.getDefaultInstance()).getHealthz());

    // The node agent writes a fresh token; the plugin reads it on the next call.
    Files.writeString(dir.resolve("token-token.sock"),
        bed.keyserver.tokenFor(KmsTestBed.KMS_NAMESPACE, KmsTestBed.KMS_ACCOUNT));
    bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));

    assertEquals("ok", client.status(StatusRequest.getDefaultInstance()).getHealthz());
  }

  @Test
  void missingKeyIsReportedInStatus() throws Exception {
    KmsPlugin p = bed.start(bed.settings(bed.socket("missing.sock"), bed.keyserver.adminToken())
        .keyName("no-such-key").build());

    StatusResponse status = bed.client(p.socket()).status(StatusRequest.getDefaultInstance());

    assertEquals("key no-such-key not found", status.getHealthz());
    assertEquals("", status.getKeyId());
  }

  @Test
  void disabledVersionStopsItsCiphertexts() {
    byte[] seed = seed();
    EncryptResponse old = encrypt(seed);
    assertArrayEquals(seed, decrypt(old.getCiphertext(), old.getKeyId()));
    bed.admin().rotateKey(RotateKeyRequest.newBuilder().setName(KmsTestBed.KEY).build());
    bed.admin().disableKeyVersion(KeyVersionRequest.newBuilder()
        .setName(KmsTestBed.KEY).setVersion(1).build());
    bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));

    assertCode(Status.Code.FAILED_PRECONDITION, () -> decrypt(old.getCiphertext(), old.getKeyId()));
  }

  @Test
  void malformedRequestsFailWithoutHarmingThePlugin() {
    byte[] seed = seed();
    EncryptResponse good = encrypt(seed);
    byte[] ct = good.getCiphertext().toByteArray();
    byte[] tampered = ct.clone();
    tampered[tampered.length - 1] ^= 1;
    byte[] otherName = ct.clone();
    otherName[2] = 'x'; // "x8s-secrets": a name that is not the plugin's key
    byte[] wrongPurpose = ct.clone();
    wrongPurpose[0] = 0x01;
    bed.admin().createKey(CreateKeyRequest.newBuilder().setName("shared").build());
    byte[] sharedKeyCiphertext = bed.adminKeys().encrypt(io.keyward.api.v1.EncryptRequest.newBuilder()
        .setKeyName("shared").setPlaintext(ByteString.copyFrom(seed))
        .putAllEncryptionContext(KeyserverClient.CONTEXT).build()).getCiphertext().toByteArray();
    byte[] otherContext = bed.adminKeys().encrypt(io.keyward.api.v1.EncryptRequest.newBuilder()
        .setKeyName(KmsTestBed.KEY).setPlaintext(ByteString.copyFrom(seed))
        .putEncryptionContext("purpose", "something-else").build()).getCiphertext().toByteArray();
    String keyId = good.getKeyId();

    List<String> failures = new ArrayList<>();
    expect(failures, "empty plaintext", Status.Code.INVALID_ARGUMENT, () -> encrypt(new byte[0]));
    expect(failures, "513-byte plaintext", Status.Code.INVALID_ARGUMENT, () -> encrypt(new byte[513]));
    expect(failures, "100 KiB message", Status.Code.RESOURCE_EXHAUSTED, () -> encrypt(new byte[100 * 1024]));
    expect(failures, "empty ciphertext", Status.Code.INVALID_ARGUMENT, () -> decrypt(new byte[0], keyId));
    expect(failures, "1025-byte ciphertext", Status.Code.INVALID_ARGUMENT, () -> decrypt(new byte[1025], keyId));
    expect(failures, "garbage", Status.Code.INVALID_ARGUMENT, () -> decrypt(randomBytes(120), keyId));
    expect(failures, "truncated", Status.Code.INVALID_ARGUMENT, () -> decrypt(Arrays.copyOf(ct, 40), keyId));
    expect(failures, "tampered tag", Status.Code.INVALID_ARGUMENT, () -> decrypt(tampered, keyId));
    expect(failures, "other key name", Status.Code.INVALID_ARGUMENT, () -> decrypt(otherName, keyId));
    expect(failures, "wrong purpose byte", Status.Code.INVALID_ARGUMENT, () -> decrypt(wrongPurpose, keyId));
    expect(failures, "other key's ciphertext", Status.Code.INVALID_ARGUMENT,
        () -> decrypt(sharedKeyCiphertext, keyId));
    expect(failures, "other context", Status.Code.INVALID_ARGUMENT, () -> decrypt(otherContext, keyId));
    assertEquals(List.of(), failures);

    assertArrayEquals(seed, decrypt(good.getCiphertext(), keyId));
    assertEquals("ok", kms.status(StatusRequest.getDefaultInstance()).getHealthz());
  }

  @Test
  void startUpStormCostsOneKeyserverCallPerSeed() throws Exception {
    byte[] seed = seed();
    EncryptResponse encrypted = encrypt(seed);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        results.add(pool.submit(() -> decrypt(encrypted.getCiphertext(), encrypted.getKeyId())));
      }
      for (Future<byte[]> r : results) {
        assertArrayEquals(seed, r.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }

    assertEquals(1, kmsAuditCount("Decrypt"));
    assertEquals(1, plugin.cachedSeeds());
  }

  /** Keyserver calls of {@code operation} made by the plugin's identity, from the audit log. */
  private long kmsAuditCount(String operation) {
    return bed.admin().listAuditRecords(ListAuditRecordsRequest.newBuilder().setLimit(1000).setTail(true).build())
        .getRecordsList().stream()
        .filter(r -> r.getOperation().equals(operation) && r.getCaller().contains("keyward-kms"))
        .count();
  }

  /** Polls Status, moving the plugin's clock past its cache each time, until the keyserver is back. */
  private String awaitHealthy() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String healthz;
    do {
      bed.clock.advance(KmsPluginSettings.DEFAULT_STATE_MAX_AGE.plusSeconds(1));
      healthz = kms.status(StatusRequest.getDefaultInstance()).getHealthz();
      if (healthz.equals("ok")) {
        return healthz;
      }
      Thread.sleep(200); // waiting for the gRPC channel to reconnect, not for an expiry
    } while (System.nanoTime() < deadline);
    return healthz;
  }

  private EncryptResponse encrypt(byte[] plaintext) {
    return kms.withDeadlineAfter(10, TimeUnit.SECONDS).encrypt(EncryptRequest.newBuilder()
        .setPlaintext(ByteString.copyFrom(plaintext)).setUid("test-uid").build());
  }

  private byte[] decrypt(ByteString ciphertext, String keyId) {
    return decrypt(ciphertext.toByteArray(), keyId);
  }

  private byte[] decrypt(byte[] ciphertext, String keyId) {
    return kms.withDeadlineAfter(10, TimeUnit.SECONDS).decrypt(DecryptRequest.newBuilder()
        .setCiphertext(ByteString.copyFrom(ciphertext)).setKeyId(keyId).setUid("test-uid").build())
        .getPlaintext().toByteArray();
  }

  private static StatusRuntimeException assertCode(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
    return e;
  }

  private static void expect(List<String> failures, String name, Status.Code code, Runnable call) {
    try {
      call.run();
      failures.add(name + ": no error");
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != code) {
        failures.add(name + ": " + e.getStatus());
      }
    }
  }

  private static byte[] seed() {
    return randomBytes(32);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
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
}
