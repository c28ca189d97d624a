package io.keyward.sdk;

import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import java.util.Map;

/**
 * Encrypt-cache key: one data key per (key name, context), because the keyserver binds each
 * wrapped DEK to its context. Lookups use the caller's map as it is (no copy on a hit); what is
 * stored is an immutable copy.
 */
record EncryptKey(String keyName, Map<String, String> context) {
  EncryptKey {
    if (keyName == null) {
      throw new IllegalArgumentException("key name must not be null");
    }
    if (context == null) {
      throw new IllegalArgumentException("context must not be null (use Map.of())");
    }
  }

  /** Validates (on a miss only: a hit equals a key that was validated) and copies. */
  EncryptKey immutableCopy() {
    Header.keyNameBytes(keyName);
    CanonicalContext.encode(context); // rejects nulls and oversized entries with a clear message
    return new EncryptKey(keyName, Map.copyOf(context));
  }
}
