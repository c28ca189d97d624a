package io.keyward.sdk;

import io.keyward.sdk.aead.DataKey;
import io.keyward.sdk.aead.MessageEncrypter;

/** What the encrypt cache holds per data key: everything precomputed for the hot path. */
final class EncryptionMaterial {
  final DataKey key;
  final MessageEncrypter encrypter;
  final String keyName;
  final int keyVersion;
  final byte[] wrappedDek;
  final byte[] canonicalContext;
  /** Ticker time from which it must no longer encrypt (its max age; the cache agrees). */
  final long expiresAt;

  EncryptionMaterial(DataKey key, MessageEncrypter encrypter, String keyName, int keyVersion,
      byte[] wrappedDek, byte[] canonicalContext, long expiresAt) {
    this.key = key;
    this.encrypter = encrypter;
    this.keyName = keyName;
    this.keyVersion = keyVersion;
    this.wrappedDek = wrappedDek;
    this.canonicalContext = canonicalContext;
    this.expiresAt = expiresAt;
  }

  @Override
  public String toString() {
    return "EncryptionMaterial[" + keyName + " v" + Integer.toUnsignedString(keyVersion)
        + ", REDACTED]";
  }
}
