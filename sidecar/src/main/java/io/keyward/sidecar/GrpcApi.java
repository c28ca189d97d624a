package io.keyward.sidecar;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.keyward.sidecar.Operations.Encrypted;
import io.keyward.sidecar.api.v1.BatchDecryptRequest;
import io.keyward.sidecar.api.v1.BatchDecryptResponse;
import io.keyward.sidecar.api.v1.BatchEncryptRequest;
import io.keyward.sidecar.api.v1.BatchEncryptResponse;
import io.keyward.sidecar.api.v1.DecryptRequest;
import io.keyward.sidecar.api.v1.DecryptResponse;
import io.keyward.sidecar.api.v1.EncryptRequest;
import io.keyward.sidecar.api.v1.EncryptResponse;
import io.keyward.sidecar.api.v1.ItemError;
import io.keyward.sidecar.api.v1.SidecarServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * {@code keyward.sidecar.v1.SidecarService}: the local API over gRPC, with the same operations,
 * limits and errors as the HTTP API (see {@link ApiError} for the status codes).
 */
final class GrpcApi extends SidecarServiceGrpc.SidecarServiceImplBase {
  private final Operations operations;
  private final SidecarMetrics metrics;
  private final int maxPlaintextBytes;
  private final int maxBatchItems;

  GrpcApi(Operations operations, SidecarMetrics metrics, int maxPlaintextBytes,
      int maxBatchItems) {
    this.operations = operations;
    this.metrics = metrics;
    this.maxPlaintextBytes = maxPlaintextBytes;
    this.maxBatchItems = maxBatchItems;
  }

  @Override
  public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> out) {
    long start = System.nanoTime();
    reply(encryptOne(request).thenApply(GrpcApi::toProto), out, "encrypt", start);
  }

  @Override
  public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> out) {
    long start = System.nanoTime();
    reply(operations.decrypt(request.getCiphertext(), request.getContextMap())
        .thenApply(p -> DecryptResponse.newBuilder().setPlaintext(ByteString.copyFrom(p))
            .build()), out, "decrypt", start);
  }

  @Override
  public void batchEncrypt(BatchEncryptRequest request,
      StreamObserver<BatchEncryptResponse> out) {
    long start = System.nanoTime();
    if (tooMany(request.getItemsCount(), out, "encrypt_batch", start)) {
      return;
    }
    List<CompletableFuture<Encrypted>> results = new ArrayList<>();
    for (EncryptRequest item : request.getItemsList()) {
      results.add(encryptOne(item));
    }
    BatchEncryptResponse.Builder b = BatchEncryptResponse.newBuilder();
    reply(all(results, (value, error) -> b.addResults(value != null
        ? BatchEncryptResponse.Result.newBuilder().setOk(toProto(value))
        : BatchEncryptResponse.Result.newBuilder().setError(error)))
        .thenApply(v -> b.build()), out, "encrypt_batch", start);
  }

  @Override
  public void batchDecrypt(BatchDecryptRequest request,
      StreamObserver<BatchDecryptResponse> out) {
    long start = System.nanoTime();
    if (tooMany(request.getItemsCount(), out, "decrypt_batch", start)) {
      return;
    }
    List<CompletableFuture<byte[]>> results = new ArrayList<>();
    for (DecryptRequest item : request.getItemsList()) {
      results.add(operations.decrypt(item.getCiphertext(), item.getContextMap()));
    }
    BatchDecryptResponse.Builder b = BatchDecryptResponse.newBuilder();
    reply(all(results, (value, error) -> b.addResults(value != null
        ? BatchDecryptResponse.Result.newBuilder().setOk(
            DecryptResponse.newBuilder().setPlaintext(ByteString.copyFrom(value)))
        : BatchDecryptResponse.Result.newBuilder().setError(error)))
        .thenApply(v -> b.build()), out, "decrypt_batch", start);
  }

  private CompletableFuture<Encrypted> encryptOne(EncryptRequest r) {
    if (r.getPlaintext().size() > maxPlaintextBytes) {
      return CompletableFuture.failedFuture(new ApiError.ApiException(
          ApiError.bodyTooLarge(maxPlaintextBytes)));
    }
    return operations.encrypt(r.getKey(), r.getPlaintext().toByteArray(), r.getContextMap());
  }

  private boolean tooMany(int count, StreamObserver<?> out, String route, long start) {
    if (count <= maxBatchItems) {
      return false;
    }
    ApiError e = ApiError.malformed(
        "items has " + count + " entries; the limit is " + maxBatchItems);
    metrics.request("grpc", route, e.httpStatus(), System.nanoTime() - start);
    out.onError(Status.fromCode(e.grpcCode()).withDescription(e.message()).asRuntimeException());
    return true;
  }

  /** Completes when every item has; calls {@code sink} in item order with value or error. */
  private static <T> CompletableFuture<Void> all(List<CompletableFuture<T>> results,
      BiConsumer<T, ItemError> sink) {
    return CompletableFuture.allOf(results.stream().map(f -> f.handle((v, t) -> null))
            .toArray(CompletableFuture[]::new))
        .thenRun(() -> {
          for (CompletableFuture<T> f : results) {
            try {
              sink.accept(f.join(), null);
            } catch (RuntimeException e) {
              ApiError a = ApiError.of(e);
              sink.accept(null, ItemError.newBuilder().setCode(a.code()).setMessage(a.message())
                  .setStatus(a.grpcCode().value()).build());
            }
          }
        });
  }

  private <T> void reply(CompletableFuture<T> f, StreamObserver<T> out, String route,
      long start) {
    f.whenComplete((value, t) -> {
      if (t == null) {
        metrics.request("grpc", route, 200, System.nanoTime() - start);
        out.onNext(value);
        out.onCompleted();
      } else {
        ApiError e = ApiError.of(t);
        metrics.request("grpc", route, e.httpStatus(), System.nanoTime() - start);
        out.onError(Status.fromCode(e.grpcCode()).withDescription(e.message())
            .asRuntimeException());
      }
    });
  }

  private static EncryptResponse toProto(Encrypted e) {
    return EncryptResponse.newBuilder().setCiphertext(e.ciphertext()).setKey(e.key())
        .setVersion((int) e.version()).build();
  }
}
