package io.keyward.keyserver.rpc;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads on which calls that may block run: store reads, root-key calls, token checks that
 * may fetch a JWKS, admin operations. Grows as needed and shrinks when idle, like gRPC's default
 * executor; its threads can be told apart so that work already on one is not handed on again.
 */
public final class CallWorkers extends ThreadPoolExecutor {
  private static final class Worker extends Thread {
    Worker(Runnable r, String name) {
      super(r, name);
      setDaemon(true);
    }
  }

  public CallWorkers() {
    super(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), namedWorkers());
  }

  /** Whether the current thread is one of these workers (of any pool). */
  static boolean onWorker() {
    return Thread.currentThread() instanceof Worker;
  }

  private static ThreadFactory namedWorkers() {
    AtomicInteger count = new AtomicInteger();
    return r -> new Worker(r, "keyward-worker-" + count.incrementAndGet());
  }
}
