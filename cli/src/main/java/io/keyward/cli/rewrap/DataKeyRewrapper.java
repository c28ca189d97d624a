package io.keyward.cli.rewrap;

import com.google.protobuf.ByteString;
import io.keyward.api.v1.KeyServiceGrpc.KeyServiceBlockingStub;
import io.keyward.api.v1.RewrapDataKeyRequest;
import io.keyward.api.v1.RewrapDataKeyResponse;
import io.keyward.sdk.format.Header;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Rewrap without decrypting the payload: the keyserver re-wraps the data key under the primary
 * ({@code RewrapDataKey}, permission {@code rewrap}) and the header gets the new wrapped key and
 * version; the nonce, payload and tag are copied unchanged.
 *
 * <p><b>Not valid for format version 1</b>, whose AAD includes the key version and the wrapped
 * data key: the spliced ciphertext no longer authenticates. It becomes correct with a format whose
 * AAD leaves those two fields out (the commitment still binds the payload to the data key, and the
 * keyserver authenticates the wrapped key itself). {@link Rewrappers#forCurrentFormat} picks it
 * only for such a format.
 */
public final class DataKeyRewrapper implements Rewrapper {
  private final Supplier<KeyServiceBlockingStub> keys;

  public DataKeyRewrapper(Supplier<KeyServiceBlockingStub> keys) {
    this.keys = keys;
  }

  @Override
  public RewrapResult rewrap(byte[] ciphertext, Map<String, String> context) {
    Header header = Header.parse(ciphertext);
    RewrapDataKeyResponse response = keys.get().rewrapDataKey(RewrapDataKeyRequest.newBuilder()
        .setWrappedDataKey(ByteString.copyFrom(header.wrappedDek()))
        .putAllEncryptionContext(context)
        .build());
    int newVersion = response.getKeyVersion();
    if (newVersion == header.keyVersion()) {
      return RewrapResult.current(ciphertext, header.keyName(), newVersion);
    }
    byte[] spliced = splice(ciphertext, header, newVersion, response.getWrappedDataKey().toByteArray());
    return new RewrapResult(spliced, header.keyName(), header.keyVersion(), newVersion, false);
  }

  /** The same ciphertext with the header's key version and wrapped data key replaced. */
  static byte[] splice(byte[] ciphertext, Header header, int newVersion, byte[] newWrapped) {
    if (newWrapped.length == 0 || newWrapped.length > Header.MAX_WRAPPED_DEK_BYTES) {
      throw new IllegalStateException("keyserver returned a wrapped data key of " + newWrapped.length + " bytes");
    }
    int versionOffset = header.wrappedDekOffset() - 6;
    int afterWrapped = header.wrappedDekOffset() + header.wrappedDekLength();
    ByteBuffer out = ByteBuffer.allocate(ciphertext.length - header.wrappedDekLength() + newWrapped.length);
    out.put(ciphertext, 0, versionOffset);
    out.putInt(newVersion).putShort((short) newWrapped.length).put(newWrapped);
    out.put(ciphertext, afterWrapped, ciphertext.length - afterWrapped);
    return out.array();
  }
}
