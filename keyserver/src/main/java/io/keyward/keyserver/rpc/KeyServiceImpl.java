package io.keyward.keyserver.rpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.DecryptRequest;
import io.keyward.api.v1.DecryptResponse;
import io.keyward.api.v1.EncryptRequest;
import io.keyward.api.v1.EncryptResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.RewrapDataKeyRequest;
import io.keyward.api.v1.RewrapDataKeyResponse;
import io.keyward.keyserver.keys.DataKeys;
import java.util.Arrays;

/** KeyService: the workload-facing RPCs, each authenticated, authorized and audited. */
final class KeyServiceImpl extends KeyServiceGrpc.KeyServiceImplBase {
  private final DataKeys dataKeys;
  private final AuditedCalls calls;
  private final Offload offload;

  KeyServiceImpl(DataKeys dataKeys, AuditedCalls calls, Offload offload) {
    this.dataKeys = dataKeys;
    this.calls = calls;
    this.offload = offload;
  }

  @Override
  public void generateDataKey(GenerateDataKeyRequest request, StreamObserver<GenerateDataKeyResponse> responses) {
    offload.run(dataKeys.sealsFromMemory(request.getKeyName()), () ->
      calls.run("GenerateDataKey", responses, call -> {
        DataKeys.IssuedDataKey key = dataKeys.generate(
            CallContext.caller(), request.getKeyName(), request.getEncryptionContextMap(), call);
        try {
          return GenerateDataKeyResponse.newBuilder()
              .setPlaintextDataKey(ByteString.copyFrom(key.plaintext()))
              .setWrappedDataKey(ByteString.copyFrom(key.wrapped()))
              .setKeyName(key.keyName())
              .setKeyVersion(key.version())
              .build();
        } finally {
          Arrays.fill(key.plaintext(), (byte) 0);
        }
      }));
  }

  @Override
  public void decryptDataKey(DecryptDataKeyRequest request, StreamObserver<DecryptDataKeyResponse> responses) {
    byte[] wrapped = request.getWrappedDataKey().toByteArray();
    offload.run(dataKeys.opensDataKeyFromMemory(wrapped, false), () ->
      calls.run("DecryptDataKey", responses, call -> {
        DataKeys.Opened key = dataKeys.decryptDataKey(
            CallContext.caller(), wrapped, request.getEncryptionContextMap(), call);
        try {
          return DecryptDataKeyResponse.newBuilder()
              .setPlaintextDataKey(ByteString.copyFrom(key.plaintext()))
              .setKeyName(key.keyName())
              .setKeyVersion(key.version())
              .build();
        } finally {
          Arrays.fill(key.plaintext(), (byte) 0);
        }
      }));
  }

  @Override
  public void rewrapDataKey(RewrapDataKeyRequest request, StreamObserver<RewrapDataKeyResponse> responses) {
    byte[] wrapped = request.getWrappedDataKey().toByteArray();
    offload.run(dataKeys.opensDataKeyFromMemory(wrapped, true), () ->
      calls.run("RewrapDataKey", responses, call -> {
        DataKeys.Sealed sealed = dataKeys.rewrap(
            CallContext.caller(), wrapped, request.getEncryptionContextMap(), call);
        return RewrapDataKeyResponse.newBuilder()
            .setWrappedDataKey(ByteString.copyFrom(sealed.blob()))
            .setKeyName(sealed.keyName())
            .setKeyVersion(sealed.version())
            .setPreviousKeyVersion(sealed.previousVersion())
            .build();
      }));
  }

  @Override
  public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> responses) {
    offload.run(dataKeys.sealsFromMemory(request.getKeyName()), () ->
      calls.run("Encrypt", responses, call -> {
        DataKeys.Sealed sealed = dataKeys.encrypt(
            CallContext.caller(), request.getKeyName(), request.getPlaintext().toByteArray(),
            request.getEncryptionContextMap(), call);
        return EncryptResponse.newBuilder()
            .setCiphertext(ByteString.copyFrom(sealed.blob()))
            .setKeyName(sealed.keyName())
            .setKeyVersion(sealed.version())
            .build();
      }));
  }

  @Override
  public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> responses) {
    byte[] ciphertext = request.getCiphertext().toByteArray();
    offload.run(dataKeys.opensCiphertextFromMemory(ciphertext), () ->
      calls.run("Decrypt", responses, call -> {
        DataKeys.Opened opened = dataKeys.decrypt(
            CallContext.caller(), ciphertext, request.getEncryptionContextMap(), call);
        try {
          return DecryptResponse.newBuilder()
              .setPlaintext(ByteString.copyFrom(opened.plaintext()))
              .setKeyName(opened.keyName())
              .setKeyVersion(opened.version())
              .build();
        } finally {
          Arrays.fill(opened.plaintext(), (byte) 0);
        }
      }));
  }
}
