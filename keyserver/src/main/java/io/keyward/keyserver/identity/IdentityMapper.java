package io.keyward.keyserver.identity;

import com.nimbusds.jwt.JWTClaimsSet;
import java.text.ParseException;
import java.util.Map;
import java.util.Optional;

/**
 * Turns verified claims into a {@link WorkloadIdentity}. Kubernetes details come from the {@code
 * kubernetes.io} claim when present (and must then agree with a service-account subject), else
 * from the subject itself.
 */
final class IdentityMapper {
  private static final String KUBERNETES_CLAIM = "kubernetes.io";

  private IdentityMapper() {}

  static WorkloadIdentity map(JWTClaimsSet claims) throws TokenRejectedException {
    String subject = claims.getSubject();
    if (subject == null || subject.isEmpty()) {
      throw new TokenRejectedException("missing subject");
    }
    if (subject.length() > SubjectParser.MAX_SUBJECT_LENGTH) {
      throw new TokenRejectedException("subject too long");
    }
    Optional<String> namespace = Optional.empty();
    Optional<String> serviceAccount = Optional.empty();
    Optional<String> trustDomain = Optional.empty();
    if (SubjectParser.isServiceAccount(subject)) {
      SubjectParser.ServiceAccount sa = SubjectParser.serviceAccount(subject);
      namespace = Optional.of(sa.namespace());
      serviceAccount = Optional.of(sa.name());
    } else if (SubjectParser.isSpiffeId(subject)) {
      trustDomain = Optional.of(SubjectParser.spiffeTrustDomain(subject));
    } else {
      throw new TokenRejectedException("subject is neither a service account nor a SPIFFE ID");
    }

    Optional<String> pod = Optional.empty();
    Map<String, Object> k8s = kubernetesClaim(claims);
    if (k8s != null) {
      Optional<String> claimedNamespace = SubjectParser.nonEmpty(string(k8s, "namespace"));
      Optional<String> claimedAccount = SubjectParser.nonEmpty(string(object(k8s, "serviceaccount"), "name"));
      if (serviceAccount.isPresent()
          && (!claimedNamespace.equals(namespace) || !claimedAccount.equals(serviceAccount))) {
        throw new TokenRejectedException("kubernetes.io claims contradict the subject");
      }
      namespace = claimedNamespace;
      serviceAccount = claimedAccount;
      pod = SubjectParser.nonEmpty(string(object(k8s, "pod"), "name"));
    }
    return new WorkloadIdentity(
        claims.getIssuer(),
        subject,
        namespace,
        serviceAccount,
        pod,
        trustDomain,
        claims.getExpirationTime().toInstant());
  }

  private static Map<String, Object> kubernetesClaim(JWTClaimsSet claims) throws TokenRejectedException {
    if (claims.getClaim(KUBERNETES_CLAIM) == null) {
      return null;
    }
    try {
      return claims.getJSONObjectClaim(KUBERNETES_CLAIM);
    } catch (ParseException e) {
      throw new TokenRejectedException("malformed kubernetes.io claim");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Map<String, Object> parent, String name) throws TokenRejectedException {
    Object value = parent == null ? null : parent.get(name);
    if (value != null && !(value instanceof Map)) {
      throw new TokenRejectedException("malformed kubernetes.io claim");
    }
    return (Map<String, Object>) value;
  }

  private static String string(Map<String, Object> parent, String name) throws TokenRejectedException {
    Object value = parent == null ? null : parent.get(name);
    if (value != null && !(value instanceof String)) {
      throw new TokenRejectedException("malformed kubernetes.io claim");
    }
    return (String) value;
  }
}
