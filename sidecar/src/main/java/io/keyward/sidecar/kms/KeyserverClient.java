package io.keyward.sidecar.kms;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.DecryptRequest;
import io.keyward.api.v1.DecryptResponse;
import io.keyward.api.v1.EncryptRequest;
import io.keyward.api.v1.EncryptResponse;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.KeyVersion;
import io.keyward.api.v1.KeyVersionState;
import io.keyward.sdk.TokenSource;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place the plugin meets the keyward.v1 protobuf types: server-side Encrypt/Decrypt with
 * a fixed encryption context, and GetKey for the key's versions. Every call has a deadline and
 * carries the plugin's bearer token; failures become {@link KeyserverCallException}.
 */
final class KeyserverClient {
  /** Binds every ciphertext to this use: a Keyward ciphertext made for anything else won't open. */
  static final Map<String, String> CONTEXT = Map.of("purpose", "kubernetes-kms-v2");

  private static final Logger LOG = LoggerFactory.getLogger(KeyserverClient.class);

  private final String keyName;
  private final KeyServiceGrpc.KeyServiceBlockingStub keys;
  private final AdminServiceGrpc.AdminServiceBlockingStub admin;
  private final long deadlineNanos;
  private final Clock clock;

  /** A ciphertext and the key version the keyserver made it with. */
  record Wrapped(byte[] ciphertext, int version) {}

  KeyserverClient(Channel channel, String keyName, TokenSource tokens, Duration deadline, Clock clock) {
    CallCredentials bearer = new BearerToken(tokens);
    this.keyName = keyName;
    this.keys = KeyServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer);
    this.admin = AdminServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer);
    this.deadlineNanos = deadline.toNanos();
    this.clock = clock;
  }

  String keyName() {
    return keyName;
  }

  Wrapped encrypt(byte[] plaintext) {
    EncryptResponse r;
    try {
      r = keys.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS).encrypt(EncryptRequest.newBuilder()
          .setKeyName(keyName)
          .setPlaintext(ByteString.copyFrom(plaintext))
          .putAllEncryptionContext(CONTEXT)
          .build());
    } catch (StatusRuntimeException e) {
      throw failed("Encrypt", e);
    }
    if (!r.getKeyName().equals(keyName) || r.getKeyVersion() < 1 || r.getCiphertext().isEmpty()) {
      throw malformed("Encrypt");
    }
    return new Wrapped(r.getCiphertext().toByteArray(), r.getKeyVersion());
  }

  /** Decrypts and checks the keyserver opened it with the key and version the header names. */
  byte[] decrypt(byte[] ciphertext, SealedHeader header) {
    DecryptResponse r;
    try {
      r = keys.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS).decrypt(DecryptRequest.newBuilder()
          .setCiphertext(ByteString.copyFrom(ciphertext))
          .putAllEncryptionContext(CONTEXT)
          .build());
    } catch (StatusRuntimeException e) {
      throw failed("Decrypt", e);
    }
    if (!r.getKeyName().equals(header.keyName()) || r.getKeyVersion() != header.version()) {
      throw malformed("Decrypt");
    }
    return r.getPlaintext().toByteArray();
  }

  KeySnapshot getKey() {
    Key key;
    try {
      key = admin.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS)
          .getKey(GetKeyRequest.newBuilder().setName(keyName).build());
    } catch (StatusRuntimeException e) {
      throw failed("GetKey", e);
    }
    if (!key.getName().equals(keyName) || key.getPrimaryVersion() < 1) {
      throw malformed("GetKey");
    }
    Map<Integer, KeySnapshot.Version> versions = new HashMap<>();
    for (KeyVersion v : key.getVersionsList()) {
      if (v.getVersion() < 1 || !v.hasCreateTime()) {
        throw malformed("GetKey");
      }
      versions.put(v.getVersion(), new KeySnapshot.Version(
          v.getVersion(), micros(v.getCreateTime()), v.getState() == KeyVersionState.ENABLED));
    }
    return new KeySnapshot(keyName, key.getPrimaryVersion(), key.getMinDecryptionVersion(), versions,
        clock.instant());
  }

  private static long micros(Timestamp t) {
    return Math.addExact(Math.multiplyExact(t.getSeconds(), 1_000_000L), t.getNanos() / 1000);
  }

  private static KeyserverCallException failed(String operation, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    LOG.warn("keyserver {} failed: {}", operation, code);
    return new KeyserverCallException(operation, code);
  }

  private static KeyserverCallException malformed(String operation) {
    LOG.warn("keyserver {} returned a malformed or unexpected response", operation);
    return new KeyserverCallException(operation, Status.Code.INTERNAL);
  }

  /** Adds {@code authorization: Bearer <token>}, reading the token source on every call. */
  private static final class BearerToken extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final TokenSource tokens;

    BearerToken(TokenSource tokens) {
      this.tokens = tokens;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      executor.execute(() -> {
        String token;
        try {
          token = tokens.token();
        } catch (RuntimeException e) {
          // The exception may quote the file; its message is not logged in case it quotes more.
          LOG.warn("token source failed ({}); the call fails as unauthenticated", e.getClass().getSimpleName());
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
