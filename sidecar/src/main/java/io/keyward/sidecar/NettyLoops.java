package io.keyward.sidecar;

import io.grpc.ChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sidecar's one Netty: a single group of event loops (which also accepts connections) and a
 * single buffer allocator, shared by the HTTP API, the gRPC API and the channel to the keyserver.
 * gRPC runs on this same, unshaded Netty: a second, shaded copy would bring its own threads,
 * buffer pools and some 900 classes of metadata into every pod.
 */
final class NettyLoops implements AutoCloseable {
  private final boolean epoll = Epoll.isAvailable();
  private final EventLoopGroup group;
  private final long graceMillis;

  /** {@code threads} event loops; {@code graceMillis} bounds {@link #close()}. */
  NettyLoops(int threads, long graceMillis) {
    this.group = new MultiThreadIoEventLoopGroup(threads, daemon("keyward-sidecar-io"),
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    this.graceMillis = graceMillis;
  }

  /** The one allocator; {@code -Dio.netty.allocator.type} and its siblings tune it. */
  ByteBufAllocator allocator() {
    return ByteBufAllocator.DEFAULT;
  }

  /** A TCP server whose connections get {@code handler}. */
  ServerBootstrap tcpServer(ChannelHandler handler) {
    return server(handler)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class);
  }

  /** A Unix domain socket server whose connections get {@code handler}; needs Linux epoll. */
  ServerBootstrap unixServer(ChannelHandler handler, String what) throws SidecarLauncher.StartupException {
    requireEpoll(what);
    return server(handler).channel(EpollServerDomainSocketChannel.class);
  }

  private ServerBootstrap server(ChannelHandler handler) {
    return new ServerBootstrap().group(group)
        .childOption(ChannelOption.ALLOCATOR, allocator())
        .childHandler(handler);
  }

  /** A gRPC server on a loopback TCP address, on these loops. */
  NettyServerBuilder grpcServer(InetSocketAddress address) {
    return grpcServer(NettyServerBuilder.forAddress(address))
        .channelType(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class);
  }

  /** A gRPC server on a Unix domain socket, on these loops; needs Linux epoll. */
  NettyServerBuilder grpcServer(Path socket, String what) throws SidecarLauncher.StartupException {
    requireEpoll(what);
    return grpcServer(NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toFile())))
        .channelType(EpollServerDomainSocketChannel.class)
        // gRPC sets TCP keep-alive on every server; a Unix socket has none (null removes it).
        .withChildOption(ChannelOption.SO_KEEPALIVE, null);
  }

  private NettyServerBuilder grpcServer(NettyServerBuilder b) {
    return b.bossEventLoopGroup(group).workerEventLoopGroup(group)
        .withChildOption(ChannelOption.ALLOCATOR, allocator());
  }

  /** A gRPC channel to {@code target}, on these loops. */
  NettyChannelBuilder channel(String target, ChannelCredentials credentials) {
    return NettyChannelBuilder.forTarget(target, credentials)
        .eventLoopGroup(group)
        .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class,
            InetSocketAddress.class)
        .withOption(ChannelOption.ALLOCATOR, allocator());
  }

  private void requireEpoll(String what) throws SidecarLauncher.StartupException {
    if (!epoll) {
      throw new SidecarLauncher.StartupException(what + " needs Linux epoll, which is not"
          + " available here", Epoll.unavailabilityCause());
    }
  }

  /** Stops the loops after what is queued on them ran, waiting at most the grace period. */
  @Override
  public void close() {
    group.shutdownGracefully(0, graceMillis, TimeUnit.MILLISECONDS)
        .awaitUninterruptibly(graceMillis + 1000);
  }

  static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
