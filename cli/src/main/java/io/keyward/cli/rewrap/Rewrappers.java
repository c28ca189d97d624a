package io.keyward.cli.rewrap;

import io.keyward.api.v1.KeyServiceGrpc.KeyServiceBlockingStub;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.Header;
import java.util.function.Supplier;

/** Chooses the rewrap strategy that is correct for the SDK's ciphertext format. */
public final class Rewrappers {
  /**
   * Format versions whose AAD leaves out the key version and wrapped data key, so that a header
   * splice keeps the ciphertext valid. None yet: version 1 authenticates the whole header.
   */
  static final java.util.Set<Integer> SPLICEABLE_FORMATS = java.util.Set.of();

  private Rewrappers() {}

  /**
   * For format version 1: decrypt and encrypt again in memory ({@link ReencryptingRewrapper}).
   * Once the format stops authenticating the version and wrapped key in the AAD, add it to
   * {@link #SPLICEABLE_FORMATS} and this returns the {@link DataKeyRewrapper}, which never sees
   * the payload.
   */
  public static Rewrapper forCurrentFormat(
      KeywardClient client, Supplier<KeyServiceBlockingStub> keys, PrimaryVersions primaries) {
    if (SPLICEABLE_FORMATS.contains(Header.FORMAT_VERSION)) {
      return new DataKeyRewrapper(keys);
    }
    return new ReencryptingRewrapper(client, primaries);
  }
}
