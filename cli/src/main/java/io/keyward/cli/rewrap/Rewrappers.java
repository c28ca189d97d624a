package io.keyward.cli.rewrap;

import io.keyward.api.v1.KeyServiceGrpc.KeyServiceBlockingStub;
import io.keyward.sdk.KeywardClient;
import java.util.Set;
import java.util.function.Supplier;

/** Chooses, per ciphertext, the rewrap strategy that is correct for its format version. */
public final class Rewrappers {
  /**
   * Format versions whose AAD leaves out the key version and the wrapped data key, so that a
   * header splice keeps the ciphertext valid. None yet: version 1 authenticates the whole header.
   * TODO(integrator): add the new format version here when the SDK gets one.
   */
  static final Set<Integer> SPLICEABLE_FORMATS = Set.of();

  private Rewrappers() {}

  /**
   * A rewrapper that looks at each ciphertext's format byte: spliceable formats go to the {@link
   * DataKeyRewrapper} (RewrapDataKey; the payload is never decrypted), others to the {@link
   * ReencryptingRewrapper} (decrypt and encrypt again in memory).
   */
  public static Rewrapper forCurrentFormat(
      KeywardClient client, Supplier<KeyServiceBlockingStub> keys, PrimaryVersions primaries) {
    Rewrapper splice = new DataKeyRewrapper(keys);
    Rewrapper reencrypt = new ReencryptingRewrapper(client, primaries);
    return (ciphertext, context) -> ciphertext.length > 0 && SPLICEABLE_FORMATS.contains(ciphertext[0] & 0xFF)
        ? splice.rewrap(ciphertext, context)
        : reencrypt.rewrap(ciphertext, context);
  }
}
