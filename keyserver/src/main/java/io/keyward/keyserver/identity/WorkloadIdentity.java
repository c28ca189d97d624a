package io.keyward.keyserver.identity;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Who a verified caller is: issuer + subject, plus the Kubernetes claims when the token has them.
 * Subjects come in two shapes: {@code system:serviceaccount:NS:NAME} and {@code spiffe://td/path}.
 *
 * @param issuer the token's {@code iss}
 * @param subject the token's {@code sub}
 * @param namespace Kubernetes namespace (from {@code kubernetes.io.namespace} or the subject)
 * @param serviceAccount Kubernetes service account name
 * @param pod pod name when the token is bound to a pod
 * @param spiffeTrustDomain trust domain when the subject is a SPIFFE ID
 * @param expiresAt the token's {@code exp}
 */
public record WorkloadIdentity(
    String issuer,
    String subject,
    Optional<String> namespace,
    Optional<String> serviceAccount,
    Optional<String> pod,
    Optional<String> spiffeTrustDomain,
    Instant expiresAt) {

  public WorkloadIdentity {
    Objects.requireNonNull(issuer);
    Objects.requireNonNull(subject);
    Objects.requireNonNull(namespace);
    Objects.requireNonNull(serviceAccount);
    Objects.requireNonNull(pod);
    Objects.requireNonNull(spiffeTrustDomain);
    Objects.requireNonNull(expiresAt);
  }

  /** How the caller appears in audit records and logs: issuer and subject, no token. */
  public String auditName() {
    return issuer + " " + subject;
  }
}
