package io.keyward.keyserver.policy;

import io.keyward.keyserver.identity.WorkloadIdentity;

/** The identity attributes a context binding may refer to, as {@code {name}}. */
enum Placeholder {
  ISSUER("issuer"),
  SUBJECT("subject"),
  NAMESPACE("namespace"),
  SERVICE_ACCOUNT("serviceAccount"),
  POD("pod"),
  SPIFFE_TRUST_DOMAIN("spiffeTrustDomain");

  final String documentName;

  Placeholder(String documentName) {
    this.documentName = documentName;
  }

  static Placeholder byDocumentName(String name) {
    for (Placeholder p : values()) {
      if (p.documentName.equals(name)) {
        return p;
      }
    }
    return null;
  }

  /** The caller's value, or null when the identity lacks it (an empty value counts as lacking). */
  String valueOf(WorkloadIdentity caller) {
    String value;
    switch (this) {
      case ISSUER:
        value = caller.issuer();
        break;
      case SUBJECT:
        value = caller.subject();
        break;
      case NAMESPACE:
        value = caller.namespace().orElse(null);
        break;
      case SERVICE_ACCOUNT:
        value = caller.serviceAccount().orElse(null);
        break;
      case POD:
        value = caller.pod().orElse(null);
        break;
      default:
        value = caller.spiffeTrustDomain().orElse(null);
        break;
    }
    return value == null || value.isEmpty() ? null : value;
  }
}
