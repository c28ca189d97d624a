package io.keyward.sidecar;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;

/**
 * gRPC on a Unix domain socket, with the epoll transport shaded into grpc-netty-shaded. Owns the
 * two event loops that socket needs; close it after the server stopped.
 */
final class GrpcUnixSockets implements AutoCloseable {
  private final EventLoopGroup boss = new EpollEventLoopGroup(1);
  private final EventLoopGroup workers = new EpollEventLoopGroup(1);

  static GrpcUnixSockets create() {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException("listen.grpcUnixSocket needs Linux epoll, which is not"
          + " available here");
    }
    return new GrpcUnixSockets();
  }

  private GrpcUnixSockets() {}

  NettyServerBuilder builder(Path socket) {
    return NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers);
  }

  @Override
  public void close() {
    boss.shutdownGracefully();
    workers.shutdownGracefully();
  }
}
