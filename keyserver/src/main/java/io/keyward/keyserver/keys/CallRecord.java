package io.keyward.keyserver.keys;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What one call touched, filled in as the operation learns it (the key name of a wrapped key is
 * known only after parsing), so the audit record names it even when the call fails. One per call;
 * not thread-safe.
 */
public final class CallRecord {
  private String keyName;
  private int keyVersion;

  public CallRecord key(String name) {
    this.keyName = name;
    return this;
  }

  public CallRecord version(int version) {
    this.keyVersion = version;
    return this;
  }

  public Optional<String> keyName() {
    return Optional.ofNullable(keyName);
  }

  public OptionalInt keyVersion() {
    return keyVersion > 0 ? OptionalInt.of(keyVersion) : OptionalInt.empty();
  }
}
