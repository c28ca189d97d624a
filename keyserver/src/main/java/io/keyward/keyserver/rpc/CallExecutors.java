package io.keyward.keyserver.rpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.keyserver.identity.TokenVerifier;
import java.util.concurrent.Executor;

/**
 * Chooses where a call starts. A KeyService call whose token was verified before starts on the
 * transport's I/O thread: authentication is a cache hit, and {@link Offload} moves the rest to a
 * worker only if it needs the store. Everything else (a new token, admin calls) starts on the
 * {@link CallWorkers}. Handing every call to another thread, as gRPC does by default, cost more
 * CPU than the call itself: a thread wake-up per call, on a machine with few cores.
 */
public final class CallExecutors implements ServerCallExecutorSupplier {
  private static final Executor ON_IO_THREAD = Runnable::run;

  private final TokenVerifier verifier;

  public CallExecutors(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
    if (!KeyServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
      return null; // the server's executor: the workers
    }
    return AuthInterceptor.bearerToken(headers).filter(verifier::answersFromMemory).isPresent() ? ON_IO_THREAD : null;
  }
}
