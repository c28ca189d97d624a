package io.keyward.sidecar.kms;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the plugin knows about its key at one moment, from AdminService.GetKey: enough to name
 * each version with a key_id and to refuse versions the keyserver would refuse.
 */
record KeySnapshot(
    String keyName, int primaryVersion, int minDecryptionVersion, Map<Integer, Version> versions, Instant fetchedAt) {

  /** One version: its creation time (microseconds since the epoch) makes its key_id unique. */
  record Version(int number, long createMicros, boolean enabled) {}

  KeySnapshot {
    versions = Map.copyOf(versions);
  }

  /**
   * The key_id of {@code version}: {@code keyward:<key>:v<version>:<creation time in µs>}. The
   * creation time makes it unique for all time: a version number that comes back after a
   * restore from backup and a new rotation is a new version with a new secret and a new time.
   */
  Optional<String> keyId(int version) {
    Version v = versions.get(version);
    return v == null ? Optional.empty() : Optional.of(keyId(keyName, v));
  }

  Optional<String> primaryKeyId() {
    return keyId(primaryVersion);
  }

  boolean primaryUsable() {
    Version v = versions.get(primaryVersion);
    return v != null && v.enabled();
  }

  /** Whether the keyserver would still open a ciphertext of {@code version}. */
  boolean decrypts(int version) {
    Version v = versions.get(version);
    return v != null && v.enabled() && version >= minDecryptionVersion;
  }

  static String keyId(String keyName, Version v) {
    return "keyward:" + keyName + ":v" + v.number() + ":" + v.createMicros();
  }
}
