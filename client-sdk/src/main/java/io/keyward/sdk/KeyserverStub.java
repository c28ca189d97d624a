package io.keyward.sdk;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.RewrapDataKeyRequest;
import io.keyward.api.v1.RewrapDataKeyResponse;
import io.keyward.sdk.aead.DataKey;
import io.keyward.sdk.format.Header;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the SDK meets the generated protobuf and gRPC types: it converts requests
 * and responses, checks that responses are well-formed, and maps status codes to the SDK's
 * exceptions. Raw data-key bytes never leave this class; they become a {@link DataKey} here and
 * are overwritten.
 */
final class KeyserverStub {
  private static final Logger LOG = LoggerFactory.getLogger(KeyserverStub.class);

  private final KeyServiceGrpc.KeyServiceBlockingStub stub;
  private final long deadlineNanos;

  KeyserverStub(Channel channel, TokenSource tokens, Duration deadline, boolean allowPlaintext) {
    this.stub = KeyServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(new BearerToken(tokens, allowPlaintext));
    this.deadlineNanos = deadline.toNanos();
  }

  /** A data key fresh from GenerateDataKey. */
  static final class Generated {
    final DataKey key;
    final byte[] wrappedDek;
    final String keyName;
    final int keyVersion;

    Generated(DataKey key, byte[] wrappedDek, String keyName, int keyVersion) {
      this.key = key;
      this.wrappedDek = wrappedDek;
      this.keyName = keyName;
      this.keyVersion = keyVersion;
    }
  }

  /** A data key unwrapped by DecryptDataKey, with the key name and version it was wrapped under. */
  static final class Unwrapped {
    final DataKey key;
    final String keyName;
    final int keyVersion;

    Unwrapped(DataKey key, String keyName, int keyVersion) {
      this.key = key;
      this.keyName = keyName;
      this.keyVersion = keyVersion;
    }
  }

  /** A data key rewrapped by RewrapDataKey (the DEK itself never reaches the client). */
  static final class Rewrapped {
    final byte[] wrappedDek;
    final String keyName;
    final int keyVersion;
    final int previousKeyVersion;

    Rewrapped(byte[] wrappedDek, String keyName, int keyVersion, int previousKeyVersion) {
      this.wrappedDek = wrappedDek;
      this.keyName = keyName;
      this.keyVersion = keyVersion;
      this.previousKeyVersion = previousKeyVersion;
    }
  }

  Generated generateDataKey(String keyName, Map<String, String> context) {
    GenerateDataKeyResponse r;
    try {
      r = stub.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS)
          .generateDataKey(GenerateDataKeyRequest.newBuilder()
              .setKeyName(keyName)
              .putAllEncryptionContext(context)
              .build());
    } catch (StatusRuntimeException e) {
      throw map(e, false);
    }
    int wrappedLength = r.getWrappedDataKey().size();
    if (!r.getKeyName().equals(keyName) || r.getKeyVersion() == 0 || wrappedLength == 0
        || wrappedLength > Header.MAX_WRAPPED_DEK_BYTES
        || r.getPlaintextDataKey().size() != DataKey.DEK_BYTES) {
      throw malformed();
    }
    return new Generated(dataKey(r.getPlaintextDataKey()), r.getWrappedDataKey().toByteArray(),
        r.getKeyName(), r.getKeyVersion());
  }

  Unwrapped decryptDataKey(byte[] wrappedDek, Map<String, String> context) {
    DecryptDataKeyResponse r;
    try {
      r = stub.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS)
          .decryptDataKey(DecryptDataKeyRequest.newBuilder()
              .setWrappedDataKey(ByteString.copyFrom(wrappedDek))
              .putAllEncryptionContext(context)
              .build());
    } catch (StatusRuntimeException e) {
      throw map(e, true);
    }
    if (r.getPlaintextDataKey().size() != DataKey.DEK_BYTES) {
      throw malformed();
    }
    return new Unwrapped(dataKey(r.getPlaintextDataKey()), r.getKeyName(), r.getKeyVersion());
  }

  Rewrapped rewrapDataKey(byte[] wrappedDek, Map<String, String> context) {
    RewrapDataKeyResponse r;
    try {
      r = stub.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS)
          .rewrapDataKey(RewrapDataKeyRequest.newBuilder()
              .setWrappedDataKey(ByteString.copyFrom(wrappedDek))
              .putAllEncryptionContext(context)
              .build());
    } catch (StatusRuntimeException e) {
      throw map(e, true);
    }
    int wrappedLength = r.getWrappedDataKey().size();
    if (r.getKeyVersion() == 0 || wrappedLength == 0
        || wrappedLength > Header.MAX_WRAPPED_DEK_BYTES) {
      throw malformed();
    }
    return new Rewrapped(r.getWrappedDataKey().toByteArray(), r.getKeyName(), r.getKeyVersion(),
        r.getPreviousKeyVersion());
  }

  private static DataKey dataKey(ByteString plaintext) {
    byte[] dek = plaintext.toByteArray();
    try {
      return DataKey.deriveFromInsecureBytes(dek);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  private static KeyserverUnavailableException malformed() {
    return new KeyserverUnavailableException("keyserver returned a malformed response");
  }

  /**
   * Maps a status to the SDK's exceptions. The server's description is not passed on: it may
   * carry details the caller should not see, and the code says what to do.
   */
  static KeywardException map(StatusRuntimeException e, boolean decrypting) {
    Status.Code code = e.getStatus().getCode();
    switch (code) {
      case UNAUTHENTICATED:
        return new NotAuthenticatedException(
            "keyserver did not accept the token (missing, expired or untrusted)");
      case PERMISSION_DENIED:
        return new PermissionDeniedException(
            "policy does not allow this operation on this key and context");
      case NOT_FOUND:
        // On unwrap the key name and version come from the wrapped DEK, which is not
        // authenticated until the keyserver opens it: a key or version the keyserver does not
        // have is what a tampered header looks like, so it fails like every other tampering.
        return decrypting
            ? new DecryptionFailedException()
            : new KeyNotFoundException("key not found");
      case FAILED_PRECONDITION:
        return new KeyVersionUnusableException(
            "key version is disabled, destroyed or below the minimum decryption version");
      case INVALID_ARGUMENT:
        // On unwrap this is the keyserver's uniform integrity failure of the wrapped DEK.
        return decrypting
            ? new DecryptionFailedException()
            : new InvalidRequestException("keyserver rejected the request as malformed");
      default:
        // UNAVAILABLE, DEADLINE_EXCEEDED and codes the contract does not list. The cause is kept
        // for the operator (e.g. a TLS handshake failure); it holds no key material or token.
        return new KeyserverUnavailableException("keyserver call failed: " + code, e);
    }
  }

  /** Adds {@code authorization: Bearer <token>} to every call; refuses plaintext transports. */
  private static final class BearerToken extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final TokenSource tokens;
    private final boolean allowPlaintext;

    BearerToken(TokenSource tokens, boolean allowPlaintext) {
      this.tokens = tokens;
      this.allowPlaintext = allowPlaintext;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      if (info.getSecurityLevel() == SecurityLevel.NONE && !allowPlaintext) {
        applier.fail(Status.UNAUTHENTICATED.withDescription(
            "refusing to send a token over a plaintext connection"));
        return;
      }
      executor.execute(() -> {
        String token;
        try {
          token = TokenSources.checkToken(tokens.token());
        } catch (RuntimeException e) {
          LOG.warn("token source failed ({}); the call fails as unauthenticated",
              e.getClass().getSimpleName());
          applier.fail(Status.UNAUTHENTICATED.withDescription("token source failed"));
          return;
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      });
    }
  }
}
