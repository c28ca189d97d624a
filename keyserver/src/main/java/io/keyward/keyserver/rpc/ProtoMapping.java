package io.keyward.keyserver.rpc;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.keyward.api.v1.AuditRecord;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersion;
import io.keyward.api.v1.KeyVersionState;
import io.keyward.api.v1.Policy;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeyVersionRecord;
import io.keyward.keyserver.store.StoredPolicy;
import java.time.Instant;

/** Domain records to protobuf messages. Never carries a wrapped or unwrapped secret. */
final class ProtoMapping {
  private ProtoMapping() {}

  static Key key(KeyRecord key) {
    Key.Builder b = Key.newBuilder()
        .setName(key.name())
        .setPrimaryVersion(key.primaryVersion())
        .setMinDecryptionVersion(key.minDecryptionVersion())
        .setCreateTime(timestamp(key.createdAt()));
    key.settings().rotationPeriod().ifPresent(p -> b.setRotationPeriod(duration(p)));
    key.settings().rotateAfterDataKeys().ifPresent(b::setRotateAfterDataKeys);
    key.versions().forEach(v -> b.addVersions(version(v)));
    return b.build();
  }

  static KeyVersion version(KeyVersionRecord v) {
    KeyVersion.Builder b = KeyVersion.newBuilder()
        .setVersion(v.version())
        .setState(switch (v.state()) {
          case ENABLED -> KeyVersionState.ENABLED;
          case DISABLED -> KeyVersionState.DISABLED;
          case DESTROY_SCHEDULED -> KeyVersionState.DESTROY_SCHEDULED;
          case DESTROYED -> KeyVersionState.DESTROYED;
        })
        .setCreateTime(timestamp(v.createdAt()))
        .setDataKeysIssued(v.dataKeysIssued());
    v.destroyAt().ifPresent(t -> b.setDestroyTime(timestamp(t)));
    return b.build();
  }

  static Policy policy(StoredPolicy policy) {
    return Policy.newBuilder()
        .setDocument(policy.document())
        .setRevision(policy.revision())
        .setUpdateTime(timestamp(policy.updatedAt()))
        .build();
  }

  static AuditRecord audit(io.keyward.keyserver.audit.AuditRecord r) {
    AuditRecord.Builder b = AuditRecord.newBuilder()
        .setSequence(r.sequence())
        .setTime(timestamp(r.event().time()))
        .setRequestId(r.event().requestId())
        .setCaller(r.event().caller().orElse(""))
        .setOperation(r.event().operation())
        .setKeyName(r.event().keyName().orElse(""))
        .setOutcome(r.event().outcome())
        .setHash(r.hash());
    r.event().keyVersion().ifPresent(b::setKeyVersion);
    return b.build();
  }

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  static java.time.Duration duration(Duration d) {
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }
}
