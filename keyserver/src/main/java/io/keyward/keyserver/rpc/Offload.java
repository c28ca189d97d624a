package io.keyward.keyserver.rpc;

import io.grpc.Context;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a call's work inline when it needs only memory (or already runs on a worker), and on a
 * {@link CallWorkers} thread otherwise, so that an I/O thread never waits for the store or the
 * root key. The gRPC context (caller, request id) goes along.
 */
final class Offload {
  private final Executor workers;

  Offload(Executor workers) {
    this.workers = workers;
  }

  void run(boolean fromMemory, Runnable work) {
    if (fromMemory || CallWorkers.onWorker()) {
      work.run();
      return;
    }
    try {
      workers.execute(Context.current().wrap(work));
    } catch (RejectedExecutionException shuttingDown) {
      work.run(); // the server is stopping; finish this call where it is
    }
  }
}
