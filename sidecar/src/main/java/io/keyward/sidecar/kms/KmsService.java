package io.keyward.sidecar.kms;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.keyward.kms.v2.DecryptRequest;
import io.keyward.kms.v2.DecryptResponse;
import io.keyward.kms.v2.EncryptRequest;
import io.keyward.kms.v2.EncryptResponse;
import io.keyward.kms.v2.KeyManagementServiceGrpc;
import io.keyward.kms.v2.StatusRequest;
import io.keyward.kms.v2.StatusResponse;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KMS v2 service. Encrypt wraps through the keyserver; Decrypt checks the request's key_id
 * against the version the ciphertext names and against the key's current state, then serves the
 * seed from {@link SeedCache} or the keyserver. Statuses and messages are fixed texts: no seed,
 * token or keyserver message reaches kube-apiserver or the log.
 */
final class KmsService extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {
  /** kube-apiserver sends a 32-byte seed; the bound keeps every ciphertext under 1 kB. */
  static final int MAX_PLAINTEXT = 512;
  /** kube-apiserver refuses ciphertexts above 1 kB, so none of ours is larger. */
  static final int MAX_CIPHERTEXT = 1024;
  static final int MAX_KEY_ID = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(KmsService.class);

  private final KeyserverClient keyserver;
  private final KeyState state;
  private final HealthCheck health;
  private final SeedCache seeds;

  KmsService(KeyserverClient keyserver, KeyState state, HealthCheck health, SeedCache seeds) {
    this.keyserver = keyserver;
    this.state = state;
    this.health = health;
    this.seeds = seeds;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
    reply(out, () -> {
      String healthz = health.healthz();
      KeySnapshot s = state.current(); // a refresh by Encrypt shows a rotation here at once
      String keyId = s == null ? "" : s.primaryKeyId().orElse("");
      return StatusResponse.newBuilder().setVersion("v2").setHealthz(healthz).setKeyId(keyId).build();
    });
  }

  @Override
  public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> out) {
    reply(out, () -> {
      int length = request.getPlaintext().size();
      if (length == 0 || length > MAX_PLAINTEXT) {
        throw invalid("plaintext must be 1.." + MAX_PLAINTEXT + " bytes");
      }
      byte[] plaintext = request.getPlaintext().toByteArray();
      KeyserverClient.Wrapped wrapped;
      try {
        wrapped = keyserver.encrypt(plaintext);
      } finally {
        Arrays.fill(plaintext, (byte) 0);
      }
      checkOwnCiphertext(wrapped);
      KeySnapshot s = state.current();
      Optional<String> keyId = s == null ? Optional.empty() : s.keyId(wrapped.version());
      if (keyId.isEmpty()) {
        keyId = state.refreshNow().keyId(wrapped.version()); // rotated since the last look
      }
      String id = keyId.orElseThrow(() -> Status.UNAVAILABLE
          .withDescription("keyserver does not list the version it encrypted with").asRuntimeException());
      LOG.debug("encrypt uid={} key_id={}", request.getUid(), id);
      return EncryptResponse.newBuilder()
          .setCiphertext(ByteString.copyFrom(wrapped.ciphertext()))
          .setKeyId(id)
          .build();
    });
  }

  @Override
  public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> out) {
    reply(out, () -> {
      int length = request.getCiphertext().size();
      if (length == 0 || length > MAX_CIPHERTEXT) {
        throw invalid("ciphertext must be 1.." + MAX_CIPHERTEXT + " bytes");
      }
      String keyId = request.getKeyId();
      if (keyId.isEmpty() || keyId.length() > MAX_KEY_ID) {
        throw invalid("key_id is required");
      }
      byte[] ciphertext = request.getCiphertext().toByteArray();
      SealedHeader header;
      try {
        header = SealedHeader.parse(ciphertext);
      } catch (IllegalArgumentException e) {
        throw invalid("ciphertext is malformed");
      }
      if (!header.keyName().equals(keyserver.keyName())) {
        throw invalid("ciphertext was not made with this plugin's key");
      }
      KeySnapshot s = state.fresh();
      if (!keyId.equals(s.keyId(header.version()).orElse(null))) {
        s = state.refreshForUnknown();
        if (!keyId.equals(s.keyId(header.version()).orElse(null))) {
          throw invalid("key_id is unknown or does not match the ciphertext");
        }
      }
      if (!s.decrypts(header.version())) {
        throw Status.FAILED_PRECONDITION
            .withDescription("key version is disabled, destroyed or below the minimum decryption version")
            .asRuntimeException();
      }
      byte[] seed = seeds.get(ciphertext, () -> keyserver.decrypt(ciphertext, header));
      LOG.debug("decrypt uid={} key_id={}", request.getUid(), keyId);
      return DecryptResponse.newBuilder().setPlaintext(ByteString.copyFrom(seed)).build();
    });
  }

  private void checkOwnCiphertext(KeyserverClient.Wrapped wrapped) {
    byte[] c = wrapped.ciphertext();
    SealedHeader header;
    try {
      header = SealedHeader.parse(c);
    } catch (IllegalArgumentException e) {
      throw Status.UNAVAILABLE.withDescription("keyserver returned a malformed ciphertext").asRuntimeException();
    }
    if (c.length > MAX_CIPHERTEXT || !header.keyName().equals(keyserver.keyName())
        || header.version() != wrapped.version()) {
      throw Status.UNAVAILABLE.withDescription("keyserver returned an unexpected ciphertext").asRuntimeException();
    }
  }

  private static StatusRuntimeException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
  }

  /** Runs {@code body} and maps every failure to a status with a fixed description. */
  private static <T> void reply(StreamObserver<T> out, Supplier<T> body) {
    T response;
    try {
      response = body.get();
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    } catch (KeyserverCallException e) {
      out.onError(map(e.code()).asRuntimeException());
      return;
    } catch (RuntimeException e) {
      LOG.error("KMS request failed unexpectedly ({})", e.getClass().getName());
      out.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  /** Keyserver codes to what kube-apiserver should do: retry (UNAVAILABLE) or not. */
  static Status map(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT.withDescription("ciphertext does not decrypt");
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION.withDescription(
          "key version is disabled, destroyed or below the minimum decryption version");
      case NOT_FOUND -> Status.FAILED_PRECONDITION.withDescription("key not found");
      case PERMISSION_DENIED -> Status.FAILED_PRECONDITION.withDescription("policy denies the plugin this key");
      default -> Status.UNAVAILABLE.withDescription("keyserver unavailable (" + code + ")");
    };
  }
}
