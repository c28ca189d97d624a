package io.keyward.keyserver.rpc;

import io.grpc.stub.StreamObserver;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.GetPolicyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.ListAuditRecordsRequest;
import io.keyward.api.v1.ListAuditRecordsResponse;
import io.keyward.api.v1.ListKeysRequest;
import io.keyward.api.v1.ListKeysResponse;
import io.keyward.api.v1.Policy;
import io.keyward.api.v1.PutPolicyRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.ScheduleKeyVersionDestructionRequest;
import io.keyward.api.v1.SetMinDecryptionVersionRequest;
import io.keyward.api.v1.VerifyAuditChainRequest;
import io.keyward.api.v1.VerifyAuditChainResponse;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.audit.ChainVerification;
import io.keyward.keyserver.keys.Authorizer;
import io.keyward.keyserver.keys.KeyAdministration;
import io.keyward.keyserver.policy.Operation;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.StoredPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** AdminService: the operator RPCs, each authorized by an admin permission and audited. */
final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {
  private static final int MAX_AUDIT_PAGE = 1000;

  private final KeyAdministration admin;
  private final Authorizer authorizer;
  private final AuditLog audit;
  private final AuditedCalls calls;

  AdminServiceImpl(KeyAdministration admin, Authorizer authorizer, AuditLog audit, AuditedCalls calls) {
    this.admin = admin;
    this.authorizer = authorizer;
    this.audit = audit;
    this.calls = calls;
  }

  @Override
  public void createKey(CreateKeyRequest request, StreamObserver<Key> responses) {
    calls.run("CreateKey", responses, call -> {
      if (request.hasRotationPeriod() && ProtoMapping.duration(request.getRotationPeriod()).isNegative()) {
        throw KeyserverException.invalid("rotation period must not be negative");
      }
      KeySettings settings = new KeySettings(
          request.hasRotationPeriod() && !ProtoMapping.duration(request.getRotationPeriod()).isZero()
              ? Optional.of(ProtoMapping.duration(request.getRotationPeriod()))
              : Optional.empty(),
          request.getRotateAfterDataKeys() > 0
              ? OptionalLong.of(request.getRotateAfterDataKeys())
              : OptionalLong.empty());
      return ProtoMapping.key(admin.create(CallContext.caller(), request.getName(), settings, call));
    });
  }

  @Override
  public void getKey(GetKeyRequest request, StreamObserver<Key> responses) {
    calls.run("GetKey", responses,
        call -> ProtoMapping.key(admin.get(CallContext.caller(), request.getName(), call)));
  }

  @Override
  public void listKeys(ListKeysRequest request, StreamObserver<ListKeysResponse> responses) {
    calls.run("ListKeys", responses, call -> {
      ListKeysResponse.Builder b = ListKeysResponse.newBuilder();
      admin.list(CallContext.caller()).forEach(k -> b.addKeys(ProtoMapping.key(k)));
      return b.build();
    });
  }

  @Override
  public void rotateKey(RotateKeyRequest request, StreamObserver<Key> responses) {
    calls.run("RotateKey", responses,
        call -> ProtoMapping.key(admin.rotate(CallContext.caller(), request.getName(), call)));
  }

  @Override
  public void enableKeyVersion(KeyVersionRequest request, StreamObserver<Key> responses) {
    calls.run("EnableKeyVersion", responses, call -> ProtoMapping.key(
        admin.setEnabled(CallContext.caller(), request.getName(), request.getVersion(), true, call)));
  }

  @Override
  public void disableKeyVersion(KeyVersionRequest request, StreamObserver<Key> responses) {
    calls.run("DisableKeyVersion", responses, call -> ProtoMapping.key(
        admin.setEnabled(CallContext.caller(), request.getName(), request.getVersion(), false, call)));
  }

  @Override
  public void setMinDecryptionVersion(SetMinDecryptionVersionRequest request, StreamObserver<Key> responses) {
    calls.run("SetMinDecryptionVersion", responses, call -> ProtoMapping.key(admin.setMinDecryptionVersion(
        CallContext.caller(), request.getName(), request.getMinDecryptionVersion(), call)));
  }

  @Override
  public void scheduleKeyVersionDestruction(
      ScheduleKeyVersionDestructionRequest request, StreamObserver<Key> responses) {
    calls.run("ScheduleKeyVersionDestruction", responses, call -> ProtoMapping.key(admin.scheduleDestruction(
        CallContext.caller(), request.getName(), request.getVersion(),
        request.hasWaitingPeriod() ? Optional.of(ProtoMapping.duration(request.getWaitingPeriod())) : Optional.empty(),
        call)));
  }

  @Override
  public void cancelKeyVersionDestruction(KeyVersionRequest request, StreamObserver<Key> responses) {
    calls.run("CancelKeyVersionDestruction", responses, call -> ProtoMapping.key(
        admin.cancelDestruction(CallContext.caller(), request.getName(), request.getVersion(), call)));
  }

  @Override
  public void getPolicy(GetPolicyRequest request, StreamObserver<Policy> responses) {
    calls.run("GetPolicy", responses, call -> {
      authorizer.require(CallContext.caller(), Operation.READ_POLICY, Optional.empty(), java.util.Map.of());
      return ProtoMapping.policy(authorizer.stored().orElse(new StoredPolicy("", 0, Instant.EPOCH)));
    });
  }

  @Override
  public void putPolicy(PutPolicyRequest request, StreamObserver<Policy> responses) {
    calls.run("PutPolicy", responses, call -> {
      authorizer.require(CallContext.caller(), Operation.WRITE_POLICY, Optional.empty(), java.util.Map.of());
      Optional<Long> expected =
          request.getExpectedRevision() > 0 ? Optional.of(request.getExpectedRevision()) : Optional.empty();
      return ProtoMapping.policy(authorizer.put(request.getDocument(), expected, request.getValidateOnly()));
    });
  }

  @Override
  public void listAuditRecords(ListAuditRecordsRequest request, StreamObserver<ListAuditRecordsResponse> responses) {
    calls.run("ListAuditRecords", responses, call -> {
      authorizer.require(CallContext.caller(), Operation.READ_AUDIT, Optional.empty(), java.util.Map.of());
      int limit = request.getLimit() == 0 ? 100 : request.getLimit();
      // Both fields are unsigned on the wire: values above the signed range arrive negative.
      if (limit < 1 || limit > MAX_AUDIT_PAGE) {
        throw KeyserverException.invalid(
            "limit must be 1-" + MAX_AUDIT_PAGE + ", got " + Integer.toUnsignedString(request.getLimit()));
      }
      if (!request.getTail() && request.getAfterSequence() < 0) {
        return ListAuditRecordsResponse.getDefaultInstance(); // no record follows a sequence that large
      }
      List<io.keyward.keyserver.audit.AuditRecord> records =
          request.getTail() ? audit.tail(limit) : audit.list(request.getAfterSequence(), limit);
      ListAuditRecordsResponse.Builder b = ListAuditRecordsResponse.newBuilder();
      records.forEach(r -> b.addRecords(ProtoMapping.audit(r)));
      return b.build();
    });
  }

  @Override
  public void verifyAuditChain(VerifyAuditChainRequest request, StreamObserver<VerifyAuditChainResponse> responses) {
    calls.run("VerifyAuditChain", responses, call -> {
      authorizer.require(CallContext.caller(), Operation.READ_AUDIT, Optional.empty(), java.util.Map.of());
      ChainVerification result = audit.verify();
      return VerifyAuditChainResponse.newBuilder()
          .setIntact(result.intact())
          .setRecordsChecked(result.recordsChecked())
          .setFirstBrokenSequence(result.firstBrokenSequence().orElse(0))
          .setReason(result.reason().orElse(""))
          .build();
    });
  }
}
