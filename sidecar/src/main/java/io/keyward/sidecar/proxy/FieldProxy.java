package io.keyward.sidecar.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy for one {@link ProxyRoute}: an HTTP/1.1 server on the route's listen address
 * that forwards to its upstream, encrypting configured JSON request fields and decrypting
 * ciphertexts in JSON responses (docs/proxy.md).
 *
 * <p>Guarantees: a configured field of a matching JSON request never reaches the upstream in
 * plaintext (the request fails instead); a response ciphertext that does not decrypt yields an
 * error response, never the ciphertext, a guessed plaintext or a dropped field; everything the
 * rules do not cover passes through with its status, headers (except hop-by-hop ones and {@code
 * Host}) and body framing. Crypto calls run on a bounded pool, never on an event loop.
 */
public final class FieldProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FieldProxy.class);
  private static final int CRYPTO_THREADS = 4;
  private static final int CRYPTO_QUEUE = 256;

  private final ProxyRoute route;
  private final EventLoopGroup group;
  private final ThreadPoolExecutor cryptoPool;
  private final OffLoopResolverGroup resolver;
  private final Channel serverChannel;

  private FieldProxy(ProxyRoute route, EventLoopGroup group, ThreadPoolExecutor cryptoPool,
      OffLoopResolverGroup resolver, Channel serverChannel) {
    this.route = route;
    this.group = group;
    this.cryptoPool = cryptoPool;
    this.resolver = resolver;
    this.serverChannel = serverChannel;
  }

  /**
   * Binds the route's listen address and starts serving.
   *
   * @throws IOException when the address cannot be bound
   */
  public static FieldProxy start(ProxyRoute route, FieldCrypto crypto)
      throws IOException, InterruptedException {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(crypto, "crypto");
    String prefix = "keyward-proxy-" + route.name();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(
        Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())),
        new DefaultThreadFactory(prefix, true), NioIoHandler.newFactory());
    ThreadPoolExecutor pool = new ThreadPoolExecutor(CRYPTO_THREADS, CRYPTO_THREADS, 60,
        TimeUnit.SECONDS, new ArrayBlockingQueue<>(CRYPTO_QUEUE),
        new DefaultThreadFactory(prefix + "-crypto", true), new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    OffLoopResolverGroup resolver = new OffLoopResolverGroup(pool);
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384).setMaxChunkSize(65536)));
            ch.pipeline().addLast(new HttpServerExpectContinueHandler());
            ch.pipeline().addLast(new ProxyConnection(route, crypto, pool, resolver));
          }
        });
    ChannelFuture bound = bootstrap.bind(route.listenHost(), route.listenPort()).await();
    if (!bound.isSuccess()) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      resolver.close();
      pool.shutdownNow();
      throw new IOException("proxy route " + route.name() + " cannot listen on "
          + route.listenHost() + ":" + route.listenPort(), bound.cause());
    }
    FieldProxy proxy = new FieldProxy(route, group, pool, resolver, bound.channel());
    LOG.info("proxy route {} listening on {}:{}, forwarding to {}", route.name(),
        route.listenHost(), proxy.port(), route.upstream());
    return proxy;
  }

  /** The bound port (the chosen one when the route asked for port 0). */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  public ProxyRoute route() {
    return route;
  }

  /** Stops listening, closes every connection and waits (briefly) for the threads to end. */
  @Override
  public void close() {
    serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    resolver.close();
    cryptoPool.shutdownNow();
  }

  @Override
  public String toString() {
    return "FieldProxy{route=" + route.name() + ", port=" + port() + "}";
  }
}
