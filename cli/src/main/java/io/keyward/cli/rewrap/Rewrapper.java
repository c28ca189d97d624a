package io.keyward.cli.rewrap;

import java.util.Map;

/**
 * Moves one stored ciphertext to its key's current primary version. The format-specific part of
 * {@code keyward rewrap}, kept behind this interface so that the strategy can change with the
 * ciphertext format (see {@link Rewrappers#forCurrentFormat}).
 */
public interface Rewrapper {
  /**
   * Returns the ciphertext under the primary version of the key named in its header, or says it
   * already is. The result decrypts to the same plaintext under the same {@code context}.
   *
   * @param context the encryption context the ciphertext was made with
   * @throws io.keyward.sdk.KeywardException or {@link io.grpc.StatusRuntimeException} when the
   *     keyserver refuses (unknown key, version below minimum, wrong context, denied)
   */
  RewrapResult rewrap(byte[] ciphertext, Map<String, String> context);
}
