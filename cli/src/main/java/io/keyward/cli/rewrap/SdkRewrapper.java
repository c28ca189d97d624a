package io.keyward.cli.rewrap;

import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.Header;
import java.util.Map;

/**
 * Moves a ciphertext to its key's primary version with the SDK's rewrap: the keyserver re-wraps
 * the data key (RewrapDataKey, the {@code rewrap} permission) and only the header's key version
 * and wrapped data key change. The payload is never decrypted; nonce, body and tag are copied.
 */
public final class SdkRewrapper implements Rewrapper {
  private final KeywardClient client;

  public SdkRewrapper(KeywardClient client) {
    this.client = client;
  }

  @Override
  public RewrapResult rewrap(byte[] ciphertext, Map<String, String> context) {
    io.keyward.sdk.RewrapResult result = client.rewrap(ciphertext, context);
    String keyName = Header.parse(ciphertext).keyName();
    return result.changed()
        ? new RewrapResult(result.ciphertext(), keyName, result.previousVersion(), result.newVersion(), false)
        : RewrapResult.current(ciphertext, keyName, result.previousVersion());
  }
}
