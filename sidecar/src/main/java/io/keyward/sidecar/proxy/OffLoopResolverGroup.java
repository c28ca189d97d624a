package io.keyward.sidecar.proxy;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Resolves upstream host names with the JDK resolver (and its cache) on a worker pool: a slow DNS
 * answer must not stall the event loop that serves other connections.
 */
final class OffLoopResolverGroup extends AddressResolverGroup<InetSocketAddress> {
  private final Executor blocking;

  OffLoopResolverGroup(Executor blocking) {
    this.blocking = blocking;
  }

  @Override
  protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
    return new InetNameResolver(executor) {
      @Override
      protected void doResolve(String host, Promise<InetAddress> promise) {
        run(promise, () -> InetAddress.getByName(host));
      }

      @Override
      protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
        run(promise, () -> Arrays.asList(InetAddress.getAllByName(host)));
      }
    }.asAddressResolver();
  }

  private interface Lookup<T> {
    T get() throws UnknownHostException;
  }

  private <T> void run(Promise<T> promise, Lookup<T> lookup) {
    try {
      blocking.execute(() -> {
        try {
          promise.trySuccess(lookup.get());
        } catch (UnknownHostException | RuntimeException e) {
          promise.tryFailure(e);
        }
      });
    } catch (RejectedExecutionException e) {
      promise.tryFailure(e);
    }
  }
}
