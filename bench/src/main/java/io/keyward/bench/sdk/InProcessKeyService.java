package io.keyward.bench.sdk;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.sdk.format.CanonicalContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in keyserver for the SDK benchmarks, served in-process: it issues fresh random data
 * keys wrapped with AES-GCM under one key (bound to key name, version 1 and context) and unwraps
 * them. With a warm cache the SDK makes no call in the steady state, so only the first call of a
 * run sees it; the real keyserver's cost is measured by the load driver instead.
 */
final class InProcessKeyService extends KeyServiceGrpc.KeyServiceImplBase implements AutoCloseable {
  static final String KEY = "bench";

  private static final SecureRandom RANDOM = new SecureRandom();
  private final SecretKey wrappingKey;
  private final Server server;
  private final ManagedChannel channel;

  InProcessKeyService() throws IOException {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    this.wrappingKey = new SecretKeySpec(k, "AES");
    Arrays.fill(k, (byte) 0);
    String name = InProcessServerBuilder.generateName();
    this.server = InProcessServerBuilder.forName(name).directExecutor().addService(this).build()
        .start();
    this.channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  ManagedChannel channel() {
    return channel;
  }

  @Override
  public void generateDataKey(GenerateDataKeyRequest request,
      StreamObserver<GenerateDataKeyResponse> response) {
    if (!request.getKeyName().equals(KEY)) {
      response.onError(Status.NOT_FOUND.asRuntimeException());
      return;
    }
    byte[] dek = new byte[32];
    RANDOM.nextBytes(dek);
    byte[] prefix = prefix();
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, wrappingKey, new GCMParameterSpec(128, nonce));
      c.updateAAD(prefix);
      c.updateAAD(CanonicalContext.encode(request.getEncryptionContextMap()));
      byte[] sealed = c.doFinal(dek);
      byte[] wrapped = ByteBuffer.allocate(prefix.length + 12 + sealed.length)
          .put(prefix).put(nonce).put(sealed).array();
      response.onNext(GenerateDataKeyResponse.newBuilder()
          .setPlaintextDataKey(ByteString.copyFrom(dek))
          .setWrappedDataKey(ByteString.copyFrom(wrapped))
          .setKeyName(KEY)
          .setKeyVersion(1)
          .build());
      response.onCompleted();
    } catch (GeneralSecurityException e) {
      response.onError(Status.INTERNAL.asRuntimeException());
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  @Override
  public void decryptDataKey(DecryptDataKeyRequest request,
      StreamObserver<DecryptDataKeyResponse> response) {
    byte[] w = request.getWrappedDataKey().toByteArray();
    byte[] prefix = prefix();
    try {
      if (w.length != prefix.length + 12 + 48
          || !Arrays.equals(w, 0, prefix.length, prefix, 0, prefix.length)) {
        throw new GeneralSecurityException("not ours");
      }
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, wrappingKey, new GCMParameterSpec(128, w, prefix.length, 12));
      c.updateAAD(prefix);
      c.updateAAD(CanonicalContext.encode(request.getEncryptionContextMap()));
      byte[] dek = c.doFinal(w, prefix.length + 12, w.length - prefix.length - 12);
      response.onNext(DecryptDataKeyResponse.newBuilder()
          .setPlaintextDataKey(ByteString.copyFrom(dek))
          .setKeyName(KEY)
          .setKeyVersion(1)
          .build());
      response.onCompleted();
      Arrays.fill(dek, (byte) 0);
    } catch (GeneralSecurityException | RuntimeException e) {
      response.onError(Status.INVALID_ARGUMENT.asRuntimeException());
    }
  }

  private static byte[] prefix() {
    byte[] name = KEY.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(1 + name.length + 4).put((byte) name.length).put(name).putInt(1)
        .array();
  }

  static Map<String, String> context() {
    return Map.of("tenant", "acme", "table", "payments");
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
