package io.keyward.cli.rewrap;

import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.Header;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Rewrap for format version 1, whose AAD covers the key version and the wrapped data key: the
 * only correct way to change them is to decrypt and encrypt again (a fresh data key under the
 * primary). The plaintext exists only in this process's memory, for one message at a time, and is
 * zeroed after use; it is never written anywhere. Needs the {@code decrypt} and {@code encrypt}
 * permissions on the key. Single-message ciphertexts only.
 */
public final class ReencryptingRewrapper implements Rewrapper {
  private final KeywardClient client;
  private final PrimaryVersions primaries;

  public ReencryptingRewrapper(KeywardClient client, PrimaryVersions primaries) {
    this.client = client;
    this.primaries = primaries;
  }

  @Override
  public RewrapResult rewrap(byte[] ciphertext, Map<String, String> context) {
    Header header = Header.parse(ciphertext);
    if (header.algorithm() != Header.ALGORITHM_MESSAGE) {
      throw new UnsupportedOperationException("stream ciphertexts are not supported by rewrap");
    }
    String keyName = header.keyName();
    int version = header.keyVersion();
    OptionalInt primary = primaries.primary(keyName);
    if (primary.isPresent() && Integer.compareUnsigned(version, primary.getAsInt()) >= 0) {
      return RewrapResult.current(ciphertext, keyName, version);
    }
    byte[] plaintext = client.decrypt(ciphertext, context);
    try {
      byte[] fresh = client.encrypt(keyName, plaintext, context);
      return new RewrapResult(fresh, keyName, version, Header.parse(fresh).keyVersion(), false);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }
}
