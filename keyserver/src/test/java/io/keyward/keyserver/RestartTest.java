package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.keyward.api.v1.AuditRecord;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptRequest;
import io.keyward.api.v1.EncryptRequest;
import io.keyward.api.v1.EncryptResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.KeyVersionState;
import io.keyward.api.v1.ListAuditRecordsRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.ScheduleKeyVersionDestructionRequest;
import io.keyward.api.v1.VerifyAuditChainRequest;
import io.keyward.api.v1.VerifyAuditChainResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A keyserver closed and started again on the same files keeps every key, version and record. */
class RestartTest {
  @TempDir Path dir;
  TestKeyserver server;

  record Issued(GenerateDataKeyResponse key, Map<String, String> context) {}

  record Sealed(EncryptResponse sealed, byte[] plaintext, Map<String, String> context) {}

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everythingSurvivesARestart() throws Exception {
    server = TestKeyserver.start(dir);
    server.createKey("shared");
    server.createKey("a-secrets");
    KeyServiceGrpc.KeyServiceBlockingStub teamA = server.keys(server.tokenFor("a", "app"));
    List<Issued> issued = new ArrayList<>();
    List<Sealed> sealed = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 4; i++) {
        Map<String, String> context = Map.of("round", "" + round, "i", "" + i);
        issued.add(new Issued(teamA.generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName("shared")
            .putAllEncryptionContext(context).build()), context));
        byte[] plaintext = ("record " + round + "/" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        sealed.add(new Sealed(teamA.encrypt(EncryptRequest.newBuilder().setKeyName("a-secrets")
            .setPlaintext(ByteString.copyFrom(plaintext)).putAllEncryptionContext(context).build()),
            plaintext, context));
      }
      server.admin().rotateKey(RotateKeyRequest.newBuilder().setName("shared").build());
    }
    server.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-secrets").build());
    server.createKey("a-retired");
    server.admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-retired").build());
    Key retiring = server.admin().scheduleKeyVersionDestruction(ScheduleKeyVersionDestructionRequest.newBuilder()
        .setName("a-retired").setVersion(1).setWaitingPeriod(com.google.protobuf.Duration.newBuilder()
            .setSeconds(7200)).build());
    server.admin().disableKeyVersion(KeyVersionRequest.newBuilder().setName("shared").setVersion(2).build());
    Key sharedBefore = server.admin().getKey(GetKeyRequest.newBuilder().setName("shared").build());
    Key secretsBefore = server.admin().getKey(GetKeyRequest.newBuilder().setName("a-secrets").build());
    assertEquals(4, sharedBefore.getPrimaryVersion());
    AuditRecord lastBefore = lastAuditRecord();
    server.close();

    server = TestKeyserver.start(dir, server.clock, server.issuer);
    // Counters were flushed at close, so even data_keys_issued is unchanged.
    assertEquals(sharedBefore, server.admin().getKey(GetKeyRequest.newBuilder().setName("shared").build()));
    assertEquals(secretsBefore, server.admin().getKey(GetKeyRequest.newBuilder().setName("a-secrets").build()));
    assertEquals(4, sharedBefore.getVersions(0).getDataKeysIssued());

    teamA = server.keys(server.tokenFor("a", "app"));
    server.admin().enableKeyVersion(KeyVersionRequest.newBuilder().setName("shared").setVersion(2).build());
    List<String> failures = new ArrayList<>();
    for (Issued i : issued) {
      ByteString opened = teamA.decryptDataKey(DecryptDataKeyRequest.newBuilder()
          .setWrappedDataKey(i.key().getWrappedDataKey()).putAllEncryptionContext(i.context()).build())
          .getPlaintextDataKey();
      if (!opened.equals(i.key().getPlaintextDataKey())) {
        failures.add("data key " + i.context() + " v" + i.key().getKeyVersion());
      }
    }
    for (Sealed s : sealed) {
      ByteString opened = teamA.decrypt(DecryptRequest.newBuilder().setCiphertext(s.sealed().getCiphertext())
          .putAllEncryptionContext(s.context()).build()).getPlaintext();
      if (!opened.equals(ByteString.copyFrom(s.plaintext()))) {
        failures.add("ciphertext " + s.context());
      }
    }
    assertEquals(List.of(), failures);

    assertEquals(4, teamA.generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName("shared").build())
        .getKeyVersion());
    assertEquals(5, server.admin().rotateKey(RotateKeyRequest.newBuilder().setName("shared").build())
        .getPrimaryVersion());
    Key after = server.admin().getKey(GetKeyRequest.newBuilder().setName("shared").build());
    assertEquals(KeyVersionState.ENABLED, after.getVersions(1).getState());

    // A destruction scheduled before the restart still happens, at the time it was given.
    assertEquals(retiring, server.admin().getKey(GetKeyRequest.newBuilder().setName("a-retired").build()));
    server.clock.advance(java.time.Duration.ofHours(2));
    server.keyserver.runMaintenance();
    assertEquals(KeyVersionState.DESTROYED,
        server.admin().getKey(GetKeyRequest.newBuilder().setName("a-retired").build()).getVersions(0).getState());

    // The chain continues where it stopped: the next record follows the last one before the restart.
    // (lastBefore + 1 is the listing that returned lastBefore, the last call before the restart.)
    List<AuditRecord> next = server.admin().listAuditRecords(ListAuditRecordsRequest.newBuilder()
        .setAfterSequence(lastBefore.getSequence()).setLimit(2).build()).getRecordsList();
    assertEquals("ListAuditRecords", next.get(0).getOperation());
    assertEquals(lastBefore.getSequence() + 2, next.get(1).getSequence());
    assertEquals("GetKey", next.get(1).getOperation());
    VerifyAuditChainResponse chain = server.admin().verifyAuditChain(VerifyAuditChainRequest.getDefaultInstance());
    assertTrue(chain.getIntact(), chain.getReason());
    assertTrue(chain.getRecordsChecked() > lastBefore.getSequence(), "checked " + chain.getRecordsChecked());
  }

  private AuditRecord lastAuditRecord() {
    return server.admin().listAuditRecords(ListAuditRecordsRequest.newBuilder().setTail(true).setLimit(1).build())
        .getRecords(0);
  }
}
