package io.keyward.keyserver.policy;

import java.util.Locale;

/** What a caller asks to do. Policy documents name these in lower case with dashes. */
public enum Operation {
  /** GenerateDataKey and Encrypt. */
  ENCRYPT,
  /** DecryptDataKey and Decrypt. */
  DECRYPT,
  /** RewrapDataKey. */
  REWRAP,
  /** Admin: CreateKey. */
  CREATE_KEY,
  /** Admin: GetKey, ListKeys. */
  READ_KEY,
  /** Admin: RotateKey. */
  ROTATE_KEY,
  /** Admin: enable/disable a version, minimum decryption version, destruction. */
  MANAGE_VERSIONS,
  /** Admin: GetPolicy. */
  READ_POLICY,
  /** Admin: PutPolicy. */
  WRITE_POLICY,
  /** Admin: ListAuditRecords, VerifyAuditChain. */
  READ_AUDIT;

  /** The name used in policy documents, e.g. {@code rotate-key}. */
  public String policyName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public boolean isAdmin() {
    return ordinal() >= CREATE_KEY.ordinal();
  }
}
