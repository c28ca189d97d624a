package io.keyward.keyserver.audit;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One operation to audit. Holds no secret, token or plaintext: only who, what, which key and how
 * it ended.
 *
 * @param caller {@code WorkloadIdentity.auditName()}, or empty when the caller was not
 *     authenticated
 * @param operation the RPC name, e.g. {@code GenerateDataKey}
 * @param outcome {@code OK} or the status code name, e.g. {@code PERMISSION_DENIED}
 */
public record AuditEvent(
    Instant time,
    String requestId,
    Optional<String> caller,
    String operation,
    Optional<String> keyName,
    OptionalInt keyVersion,
    String outcome) {
  public AuditEvent {
    Objects.requireNonNull(time);
    Objects.requireNonNull(requestId);
    Objects.requireNonNull(caller);
    Objects.requireNonNull(operation);
    Objects.requireNonNull(keyName);
    Objects.requireNonNull(keyVersion);
    Objects.requireNonNull(outcome);
  }
}
