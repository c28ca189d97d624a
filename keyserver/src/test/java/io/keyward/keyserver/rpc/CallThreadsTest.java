package io.keyward.keyserver.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.keyserver.identity.TokenRejectedException;
import io.keyward.keyserver.identity.TokenVerifier;
import io.keyward.keyserver.identity.WorkloadIdentity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where calls run: the I/O thread only for work that needs nothing but memory. */
class CallThreadsTest {
  private static final String KNOWN = "token-verified-before";
  private final CallWorkers workers = new CallWorkers();
  private final CallExecutors executors = new CallExecutors(new TokenVerifier() {
    @Override
    public WorkloadIdentity verify(String bearerToken) throws TokenRejectedException {
      throw new TokenRejectedException("not used here");
    }

    @Override
    public boolean answersFromMemory(String bearerToken) {
      return bearerToken.equals(KNOWN);
    }
  });

  @AfterEach
  void stopWorkers() {
    workers.shutdownNow();
  }

  @Test
  void keyServiceCallWithAKnownTokenStartsOnTheIoThread() {
    Executor executor = executors.getExecutor(call(KeyServiceGrpc.getGenerateDataKeyMethod()), bearer(KNOWN));
    assertNotNull(executor);
    Thread[] ranOn = new Thread[1];
    executor.execute(() -> ranOn[0] = Thread.currentThread());
    assertSame(Thread.currentThread(), ranOn[0]);
  }

  @Test
  void everythingElseStartsOnTheWorkers() {
    assertNull(executors.getExecutor(call(KeyServiceGrpc.getGenerateDataKeyMethod()), bearer("never-seen")),
        "a new token may need a JWKS fetch");
    assertNull(executors.getExecutor(call(KeyServiceGrpc.getGenerateDataKeyMethod()), new Metadata()),
        "no token");
    assertNull(executors.getExecutor(call(AdminServiceGrpc.getRotateKeyMethod()), bearer(KNOWN)),
        "admin calls write to the store");
  }

  @Test
  void workThatNeedsOnlyMemoryRunsInline() {
    Thread[] ranOn = new Thread[1];
    new Offload(workers).run(true, () -> ranOn[0] = Thread.currentThread());
    assertSame(Thread.currentThread(), ranOn[0]);
  }

  @Test
  void workThatNeedsTheStoreMovesToAWorkerWithItsContext() throws Exception {
    Context.Key<String> key = Context.key("test");
    CompletableFuture<String> seen = new CompletableFuture<>();
    Context.current().withValue(key, "caller-a").run(() -> new Offload(workers).run(false, () -> {
      assertTrue(CallWorkers.onWorker(), Thread.currentThread().getName());
      seen.complete(key.get());
    }));
    assertEquals("caller-a", seen.get(10, TimeUnit.SECONDS));
  }

  @Test
  void workAlreadyOnAWorkerStaysThere() throws Exception {
    CompletableFuture<Boolean> sameThread = new CompletableFuture<>();
    workers.execute(() -> {
      Thread worker = Thread.currentThread();
      new Offload(workers).run(false, () -> sameThread.complete(Thread.currentThread() == worker));
    });
    assertTrue(sameThread.get(10, TimeUnit.SECONDS));
  }

  private static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
    return headers;
  }

  /** Only the method descriptor matters to the executor choice. */
  private static <Q, R> ServerCall<Q, R> call(MethodDescriptor<Q, R> method) {
    return new ServerCall<>() {
      @Override
      public void request(int numMessages) {}

      @Override
      public void sendHeaders(Metadata headers) {}

      @Override
      public void sendMessage(R message) {}

      @Override
      public void close(Status status, Metadata trailers) {}

      @Override
      public boolean isCancelled() {
        return false;
      }

      @Override
      public Attributes getAttributes() {
        return Attributes.EMPTY;
      }

      @Override
      public MethodDescriptor<Q, R> getMethodDescriptor() {
        return method;
      }
    };
  }
}
