package io.keyward.keyserver.identity;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Validates the two subject shapes a workload may present and pulls out their parts:
 * {@code system:serviceaccount:NAMESPACE:NAME} and a SPIFFE ID {@code spiffe://trust-domain/path}.
 */
final class SubjectParser {
  static final int MAX_SUBJECT_LENGTH = 2048;
  static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
  static final String SPIFFE_PREFIX = "spiffe://";

  /** Kubernetes namespace: an RFC 1123 label. */
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  /** Kubernetes service account name: an RFC 1123 subdomain. */
  private static final Pattern SERVICE_ACCOUNT =
      Pattern.compile("(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  /** SPIFFE ID spec: trust domain of lowercase letters, digits, '.', '-', '_'. */
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");
  /** SPIFFE path segment: letters, digits, '.', '-', '_'; never empty, "." or "..". */
  private static final Pattern PATH_SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  private SubjectParser() {}

  /** A service-account subject's namespace and name. */
  record ServiceAccount(String namespace, String name) {}

  static boolean isServiceAccount(String subject) {
    return subject.startsWith(SERVICE_ACCOUNT_PREFIX);
  }

  static boolean isSpiffeId(String subject) {
    return subject.startsWith(SPIFFE_PREFIX);
  }

  static ServiceAccount serviceAccount(String subject) throws TokenRejectedException {
    String[] parts = subject.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":", -1);
    if (parts.length != 2 || !NAMESPACE.matcher(parts[0]).matches() || !SERVICE_ACCOUNT.matcher(parts[1]).matches()) {
      throw new TokenRejectedException("malformed service account subject");
    }
    return new ServiceAccount(parts[0], parts[1]);
  }

  /** @return the trust domain of a well-formed SPIFFE ID */
  static String spiffeTrustDomain(String subject) throws TokenRejectedException {
    String rest = subject.substring(SPIFFE_PREFIX.length());
    int slash = rest.indexOf('/');
    String trustDomain = slash < 0 ? rest : rest.substring(0, slash);
    if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
      throw new TokenRejectedException("malformed SPIFFE ID trust domain");
    }
    if (slash >= 0) {
      // The path must be non-empty segments; this also rules out a trailing '/'.
      for (String segment : rest.substring(slash + 1).split("/", -1)) {
        if (!PATH_SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
          throw new TokenRejectedException("malformed SPIFFE ID path");
        }
      }
    }
    return trustDomain;
  }

  static Optional<String> nonEmpty(String value) {
    return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
  }
}
