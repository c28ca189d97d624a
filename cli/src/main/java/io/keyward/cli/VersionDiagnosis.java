package io.keyward.cli;

import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersion;
import io.keyward.sdk.KeyVersionUnusableException;
import io.keyward.sdk.format.Header;
import java.util.Optional;

/**
 * Turns the SDK's deliberately generic "key version unusable" into the precise reason an operator
 * needs ("version 1 of key 'orders' is below the minimum decryption version 2"), by reading the
 * key with GetKey. Without read-key permission the generic message stays.
 */
final class VersionDiagnosis {
  private VersionDiagnosis() {}

  static String explain(KeyserverConnection ks, byte[] ciphertext, KeyVersionUnusableException e) {
    try {
      Header header = Header.parse(ciphertext);
      return explain(ks, header.keyName(), header.keyVersion()).orElse(e.getMessage());
    } catch (RuntimeException notParseable) {
      return e.getMessage();
    }
  }

  static Optional<String> explain(KeyserverConnection ks, String keyName, int version) {
    Key key;
    try {
      key = ks.admin().getKey(GetKeyRequest.newBuilder().setName(keyName).build());
    } catch (StatusRuntimeException denied) {
      return Optional.empty();
    }
    String what = "version " + Integer.toUnsignedString(version) + " of key '" + keyName + "'";
    if (Integer.compareUnsigned(version, key.getMinDecryptionVersion()) < 0) {
      return Optional.of(what + " is below the minimum decryption version " + key.getMinDecryptionVersion()
          + " (version below minimum)");
    }
    return key.getVersionsList().stream()
        .filter(v -> v.getVersion() == version)
        .map(KeyVersion::getState)
        .findFirst()
        .map(state -> what + " is " + state.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
  }
}
