package io.keyward.injector;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS server for {@code POST /mutate}, {@code GET /healthz} and {@code GET /readyz}. The TLS
 * certificate is re-read when its files change (cert-manager renews them in place), checked at
 * each new connection.
 */
final class WebhookServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookServer.class);
  /** The API server caps admission requests at 3 MiB; leave room for the envelope. */
  static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
  /** The webhook path; the MutatingWebhookConfiguration in deploy/ names the same one. */
  static final String MUTATE_PATH = "/mutate";

  private final AdmissionHandler handler;
  private final Path certFile;
  private final Path keyFile;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Channel channel;
  private volatile TlsFiles tls;

  private record TlsFiles(SslContext context, FileTime certModified, FileTime keyModified) {}

  WebhookServer(InetSocketAddress listen, Path certFile, Path keyFile, AdmissionHandler handler) throws SSLException {
    this.handler = handler;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.tls = loadTls();
    try {
      channel = new ServerBootstrap()
          .group(boss, workers)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline()
                  .addLast(currentTls().newHandler(ch.alloc()))
                  .addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                  .addLast(new HttpServerCodec())
                  .addLast(new HttpServerKeepAliveHandler())
                  .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                  .addLast(new Routes());
            }
          })
          .bind(listen).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      shutdownGroups();
      throw e;
    }
    ready.set(true);
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  private SslContext currentTls() {
    TlsFiles current = tls;
    try {
      if (!Files.getLastModifiedTime(certFile).equals(current.certModified())
          || !Files.getLastModifiedTime(keyFile).equals(current.keyModified())) {
        tls = loadTls();
        log.info("reloaded TLS certificate from {}", certFile);
      }
    } catch (IOException | RuntimeException e) {
      // Half-written files during a renewal: keep serving the old certificate, retry next time.
      log.warn("cannot reload TLS files, keeping the current certificate: {}", e.toString());
    }
    return tls.context();
  }

  private TlsFiles loadTls() throws SSLException {
    try {
      FileTime certTime = Files.getLastModifiedTime(certFile);
      FileTime keyTime = Files.getLastModifiedTime(keyFile);
      SslContext ctx = SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile())
          .protocols("TLSv1.3", "TLSv1.2")
          .build();
      return new TlsFiles(ctx, certTime, keyTime);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files " + certFile + ", " + keyFile, e);
    } catch (IllegalArgumentException e) {
      throw new SSLException("cannot load TLS certificate " + certFile + " and key " + keyFile, e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ready.set(false);
    channel.close().syncUninterruptibly();
    shutdownGroups();
  }

  private void shutdownGroups() {
    boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      FullHttpResponse response;
      if (!request.decoderResult().isSuccess()) {
        response = text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
      } else {
        String path = new QueryStringDecoder(request.uri()).path();
        response = switch (path) {
          case MUTATE_PATH -> request.method().equals(HttpMethod.POST)
              ? json(handler.review(ByteBufUtil.getBytes(request.content())))
              : methodNotAllowed("POST");
          case "/healthz" -> request.method().equals(HttpMethod.GET)
              ? text(HttpResponseStatus.OK, "ok\n") : methodNotAllowed("GET");
          case "/readyz" -> !request.method().equals(HttpMethod.GET) ? methodNotAllowed("GET")
              : ready.get() ? text(HttpResponseStatus.OK, "ready\n")
              : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down\n");
          default -> text(HttpResponseStatus.NOT_FOUND, "not found\n");
        };
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
      HttpUtil.setKeepAlive(response, keepAlive);
      var future = ctx.writeAndFlush(response);
      if (!keepAlive) {
        future.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // TLS handshake failures and resets are the client's problem; one line, then close.
      log.debug("connection error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  private static FullHttpResponse json(byte[] body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return r;
  }

  private static FullHttpResponse methodNotAllowed(String allow) {
    FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers().set(HttpHeaderNames.ALLOW, allow);
    return r;
  }

  private static FullHttpResponse text(HttpResponseStatus status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return r;
  }
}
