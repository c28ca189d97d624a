package io.keyward.sidecar.proxy;

import io.keyward.sidecar.proxy.ContextTemplate.RequestFacts;
import io.keyward.sidecar.json.JsonTree;
import io.keyward.sidecar.proxy.JsonRewriter.Failed;
import io.keyward.sidecar.proxy.JsonRewriter.Outcome;
import io.keyward.sidecar.proxy.JsonRewriter.Rewritten;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: requests are handled one at a time, each forwarded on this connection's
 * upstream connection (opened lazily on the same event loop, reused while both sides keep it
 * alive). Bodies that need no rewriting stream through with back-pressure in both directions;
 * bodies that do are held (bounded) and rewritten on the crypto executor. All state is touched
 * on the channel's event loop only.
 */
final class ProxyConnection extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyConnection.class);

  private enum RequestMode { STREAM, AGGREGATE, DISCARD }

  private enum ResponseMode { NONE, STREAM, AGGREGATE, DROP }

  /** One request and its response. */
  private static final class Exchange {
    final HttpVersion clientVersion;
    final boolean keepAlive;
    String method;
    String upstreamUri;
    RequestFacts facts;
    Optional<ProxyRule> requestRule = Optional.empty();
    Optional<ProxyRule> responseRule = Optional.empty();
    HttpRequest head;
    RequestMode mode = RequestMode.STREAM;
    CompositeByteBuf requestBody;
    boolean requestDone;
    boolean sentUpstream;
    ResponseMode responseMode = ResponseMode.NONE;
    HttpResponse responseHead;
    CompositeByteBuf responseBody;
    boolean informational;
    boolean responseStarted;
    boolean upstreamFinished;
    boolean upstreamKeepAlive = true;
    boolean responseDone;
    boolean closeAfter;

    Exchange(HttpRequest request) {
      this.clientVersion = request.protocolVersion();
      this.keepAlive = HttpUtil.isKeepAlive(request);
    }

    void releaseBuffers() {
      if (requestBody != null) {
        requestBody.release();
        requestBody = null;
      }
      if (responseBody != null) {
        responseBody.release();
        responseBody = null;
      }
    }
  }

  private final ProxyRoute route;
  private final FieldCrypto crypto;
  private final ExecutorService cryptoPool;
  private final OffLoopResolverGroup resolver;
  private final ArrayDeque<Object> inbox = new ArrayDeque<>();
  private final ArrayDeque<Object> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private Channel upstream;
  private boolean upstreamReady;
  private Exchange ex;
  private boolean closing;

  ProxyConnection(ProxyRoute route, FieldCrypto crypto, ExecutorService cryptoPool,
      OffLoopResolverGroup resolver) {
    this.route = route;
    this.crypto = crypto;
    this.cryptoPool = cryptoPool;
    this.resolver = resolver;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    inbox.add(msg);
    drainInbox();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    maybeReadClient();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    maybeReadUpstream();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    inbox.forEach(ReferenceCountUtil::release);
    inbox.clear();
    dropUpstream();
    if (ex != null) {
      ex.releaseBuffers();
      ex = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("route {}: client connection failed: {}", route.name(), cause.getClass().getSimpleName());
    ctx.close();
  }

  // ---- client side ----

  /** Handles buffered client messages while the current exchange still reads its request. */
  private void drainInbox() {
    while (!inbox.isEmpty() && !closing && (ex == null || !ex.requestDone)) {
      Object msg = inbox.poll();
      if (msg instanceof HttpRequest request) {
        onRequestHead(request);
      }
      if (msg instanceof HttpContent content) {
        onRequestContent(content);
      }
    }
  }

  private void onRequestHead(HttpRequest request) {
    Exchange e = new Exchange(request);
    ex = e;
    if (request.decoderResult().isFailure()) {
      e.requestDone = true; // the decoder discards the rest of this connection
      e.closeAfter = true;
      respondError(ProxyError.badRequest("bad_request", "the request could not be parsed"));
      return;
    }
    e.method = request.method().name();
    if (request.method().equals(HttpMethod.CONNECT)) {
      e.mode = RequestMode.DISCARD;
      e.closeAfter = true;
      respondError(new ProxyError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_supported",
          "the proxy does not tunnel CONNECT requests"));
      return;
    }
    String origin = HttpFacts.originForm(request.uri());
    String path = HttpFacts.matchPath(origin);
    if (origin == null || (path == null && !origin.equals("*"))) {
      e.mode = RequestMode.DISCARD;
      e.closeAfter = true;
      respondError(ProxyError.badRequest("invalid_path", "the request target is not a valid path"));
      return;
    }
    e.upstreamUri = origin.equals("*") ? origin : route.upstreamBasePath() + origin;
    if (path != null) {
      e.requestRule = route.requestRule(e.method, path);
      if (route.decryptResponses() && !request.method().equals(HttpMethod.HEAD)) {
        e.responseRule = route.responseRule(e.method, path);
      }
      e.facts = facts(request.headers(), e.method, path, e.requestRule, e.responseRule);
    }
    HttpHeaders headers = request.headers();
    HttpFacts.stripHopByHop(headers);
    headers.set(HttpHeaderNames.HOST, route.upstreamAuthority());
    if (e.responseRule.isPresent()) {
      headers.remove(HttpHeaderNames.ACCEPT_ENCODING); // so that JSON comes back decryptable
    }
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
    request.setUri(e.upstreamUri);
    e.head = request;
    boolean json = HttpFacts.isJson(headers.get(HttpHeaderNames.CONTENT_TYPE));
    if (e.requestRule.isPresent() && json) {
      if (!HttpFacts.isIdentityEncoded(headers)) {
        e.mode = RequestMode.DISCARD;
        respondError(new ProxyError(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_encoding",
            "a JSON body on an encrypting route must not carry a Content-Encoding"));
      } else if (HttpUtil.getContentLength(request, -1L) > route.maxBodyBytes()) {
        e.mode = RequestMode.DISCARD;
        e.closeAfter = true;
        respondError(ProxyError.bodyTooLarge(route.maxBodyBytes()));
      } else {
        e.mode = RequestMode.AGGREGATE;
        e.requestBody = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
      }
      return;
    }
    e.mode = RequestMode.STREAM;
    sendUpstream(e, request);
  }

  private RequestFacts facts(HttpHeaders headers, String method, String path,
      Optional<ProxyRule> requestRule, Optional<ProxyRule> responseRule) {
    Set<String> names = new LinkedHashSet<>();
    requestRule.ifPresent(r -> names.addAll(r.template().headerNames()));
    responseRule.ifPresent(r -> names.addAll(r.template().headerNames()));
    Map<String, String> values = new HashMap<>();
    for (String name : names) {
      List<String> all = headers.getAll(name);
      if (all.size() == 1) {
        values.put(name, all.get(0));
      }
    }
    return new RequestFacts(method, path, Map.copyOf(values));
  }

  private void onRequestContent(HttpContent content) {
    Exchange e = ex;
    boolean last = content instanceof LastHttpContent;
    if (e == null || content.decoderResult().isFailure()) {
      content.release();
      if (e != null) {
        e.requestDone = true;
        e.closeAfter = true;
        if (e.sentUpstream) {
          dropUpstream(); // the upstream got part of a broken request
        }
        respondError(ProxyError.badRequest("bad_request", "the request body could not be parsed"));
      }
      return;
    }
    switch (e.mode) {
      case DISCARD -> {
        content.release();
        if (last) {
          e.requestDone = true;
          maybeFinish();
        }
      }
      case AGGREGATE -> {
        e.requestBody.addComponent(true, content.content().retain());
        content.release();
        if (e.requestBody.readableBytes() > route.maxBodyBytes()) {
          e.releaseBuffers();
          e.mode = RequestMode.DISCARD;
          e.closeAfter = true;
          respondError(ProxyError.bodyTooLarge(route.maxBodyBytes()));
          if (last) {
            e.requestDone = true;
            maybeFinish();
          }
        } else if (last) {
          e.requestDone = true;
          encryptRequest(e);
        }
      }
      case STREAM -> {
        if (last) {
          e.requestDone = true;
        }
        if (e.responseDone && upstream == null) {
          content.release(); // the upstream answered early and closed; nowhere to send the rest
          maybeFinish();
        } else {
          sendUpstream(e, content);
        }
      }
    }
  }

  private void encryptRequest(Exchange e) {
    byte[] body = ByteBufUtil.getBytes(e.requestBody);
    e.releaseBuffers();
    ProxyRule rule = e.requestRule.orElseThrow();
    submit(e, () -> JsonRewriter.encryptRequest(body, rule, e.facts, crypto), outcome -> {
      if (outcome instanceof Failed f) {
        respondError(f.error());
        return;
      }
      byte[] out = outcome instanceof Rewritten r ? r.body() : body;
      HttpHeaders headers = e.head.headers();
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
      headers.set(HttpHeaderNames.CONTENT_LENGTH, out.length);
      sendUpstream(e, new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, e.head.method(),
          e.upstreamUri, Unpooled.wrappedBuffer(out), headers, EmptyHttpHeaders.INSTANCE));
    });
  }

  /** Runs body work on the crypto executor and continues on this event loop. */
  private void submit(Exchange e, java.util.function.Supplier<Outcome> work,
      java.util.function.Consumer<Outcome> then) {
    Runnable task = () -> {
      Outcome outcome;
      try {
        outcome = work.get();
      } catch (RuntimeException failure) {
        LOG.warn("route {}: body processing failed: {}", route.name(),
            failure.getClass().getName());
        outcome = new Failed(ProxyError.internal());
      }
      Outcome result = outcome;
      try {
        ctx.channel().eventLoop().execute(() -> {
          if (ex == e && !closing) {
            then.accept(result);
          }
        });
      } catch (RejectedExecutionException shuttingDown) {
        // the proxy is closing; the connection goes with it
      }
    };
    try {
      cryptoPool.execute(task);
    } catch (RejectedExecutionException full) {
      respondError(ProxyError.overloaded());
    }
  }

  private void maybeReadClient() {
    if (closing || !ctx.channel().isActive() || !inbox.isEmpty()) {
      return;
    }
    Exchange e = ex;
    if (e == null) {
      ctx.read();
    } else if (!e.requestDone) {
      if (e.mode != RequestMode.STREAM
          || (upstreamReady && upstream != null && upstream.isWritable() && pending.isEmpty())
          || (e.responseDone && upstream == null)) {
        ctx.read();
      }
    }
  }

  // ---- upstream side ----

  private void sendUpstream(Exchange e, Object msg) {
    if (msg instanceof HttpRequest) {
      if (upstream == null || (upstreamReady && !upstream.isActive())) {
        connect();
      }
    } else if (upstream == null) {
      ReferenceCountUtil.release(msg); // the connection this body part belonged to is gone
      return;
    }
    e.sentUpstream = true;
    if (!upstreamReady) {
      pending.add(msg);
      return;
    }
    upstream.writeAndFlush(msg).addListener(this::onUpstreamWrite);
  }

  private void onUpstreamWrite(io.netty.util.concurrent.Future<? super Void> f) {
    if (!f.isSuccess()) {
      LOG.debug("route {}: write to upstream failed", route.name());
      // channelInactive of the upstream follows and answers the client
      ChannelFuture cf = (ChannelFuture) f;
      cf.channel().close();
    }
  }

  private void connect() {
    dropUpstream();
    Bootstrap b = new Bootstrap()
        .group(ctx.channel().eventLoop())
        .channel(NioSocketChannel.class)
        .resolver(resolver)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(8192).setMaxHeaderSize(16384).setMaxChunkSize(65536),
                false, false));
            ch.pipeline().addLast(new UpstreamHandler());
          }
        });
    ChannelFuture f = b.connect(route.upstream().getHost(), route.upstreamPort());
    Channel ch = f.channel();
    upstream = ch;
    upstreamReady = false;
    f.addListener((ChannelFutureListener) done -> {
      if (upstream != ch) {
        return;
      }
      if (!done.isSuccess()) {
        LOG.debug("route {}: cannot connect to upstream", route.name());
        onUpstreamGone(ch);
        return;
      }
      upstreamReady = true;
      while (!pending.isEmpty()) {
        ch.write(pending.poll()).addListener(this::onUpstreamWrite);
      }
      ch.flush();
      maybeReadUpstream();
      maybeReadClient();
    });
  }

  private void dropUpstream() {
    pending.forEach(ReferenceCountUtil::release);
    pending.clear();
    if (upstream != null) {
      Channel ch = upstream;
      upstream = null;
      upstreamReady = false;
      ch.close();
    }
  }

  private void maybeReadUpstream() {
    if (upstream == null || !upstreamReady || !upstream.isActive()) {
      return;
    }
    Exchange e = ex;
    if (e != null && !e.responseDone && e.responseMode == ResponseMode.STREAM
        && !ctx.channel().isWritable()) {
      return; // back-pressure: the client is not keeping up
    }
    upstream.read();
  }

  /** The upstream connection closed or never opened. */
  private void onUpstreamGone(Channel ch) {
    if (ch != upstream) {
      return;
    }
    pending.forEach(ReferenceCountUtil::release);
    pending.clear();
    upstream = null;
    upstreamReady = false;
    Exchange e = ex;
    if (e == null || !e.sentUpstream || e.upstreamFinished || e.responseDone) {
      if (e != null && e.responseDone) {
        maybeReadClient(); // a still-streaming request body now has nowhere to go: discard it
      }
      return;
    }
    if (e.responseStarted) {
      ctx.close(); // a streamed response was cut: the only honest signal left is closing
      return;
    }
    e.closeAfter = true;
    if (!e.requestDone) {
      e.mode = RequestMode.DISCARD;
    }
    respondError(ProxyError.upstreamUnavailable());
  }

  private void onUpstreamMessage(Channel ch, Object msg) {
    Exchange e = ex;
    if (ch != upstream || e == null || !e.sentUpstream || e.upstreamFinished) {
      ReferenceCountUtil.release(msg);
      if (ch == upstream) {
        dropUpstream(); // data nobody asked for: this connection cannot be trusted for reuse
      }
      return;
    }
    if (msg instanceof HttpResponse response) {
      onResponseHead(e, response);
    }
    if (msg instanceof HttpContent content) {
      onResponseContent(e, content);
    }
  }

  private void onResponseHead(Exchange e, HttpResponse response) {
    if (response.decoderResult().isFailure()) {
      dropUpstream();
      e.closeAfter = true;
      respondError(new ProxyError(HttpResponseStatus.BAD_GATEWAY, "bad_upstream_response",
          "the upstream response could not be parsed"));
      return;
    }
    int code = response.status().code();
    if (code >= 100 && code < 200) {
      e.informational = true; // 1xx: the final response follows
      return;
    }
    e.upstreamKeepAlive = HttpUtil.isKeepAlive(response);
    HttpHeaders headers = response.headers();
    HttpFacts.stripHopByHop(headers);
    boolean bodyless = e.method.equals("HEAD") || code == 204 || code == 304;
    if (e.responseRule.isPresent() && !bodyless
        && HttpFacts.isJson(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
      if (!HttpFacts.isIdentityEncoded(headers)) {
        e.responseMode = ResponseMode.DROP;
        dropUpstream();
        respondError(new ProxyError(HttpResponseStatus.BAD_GATEWAY, "unsupported_content_encoding",
            "the upstream sent an encoded JSON response, which cannot be decrypted"));
      } else if (HttpUtil.getContentLength(response, -1L) > route.maxBodyBytes()) {
        e.responseMode = ResponseMode.DROP;
        dropUpstream();
        respondError(ProxyError.responseTooLarge(route.maxBodyBytes()));
      } else {
        e.responseMode = ResponseMode.AGGREGATE;
        e.responseHead = response;
        e.responseBody = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
      }
      return;
    }
    e.responseMode = ResponseMode.STREAM;
    if (e.clientVersion.equals(HttpVersion.HTTP_1_0)) {
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING); // 1.0 has no chunks: close delimits
      if (!HttpUtil.isContentLengthSet(response) && !bodyless) {
        e.closeAfter = true;
      }
      response.setProtocolVersion(HttpVersion.HTTP_1_0);
    } else {
      if (!bodyless && !HttpUtil.isContentLengthSet(response)
          && !HttpUtil.isTransferEncodingChunked(response)) {
        HttpUtil.setTransferEncodingChunked(response, true); // was delimited by the upstream's close
      }
      response.setProtocolVersion(HttpVersion.HTTP_1_1);
    }
    HttpUtil.setKeepAlive(response, e.keepAlive && !e.closeAfter);
    e.responseStarted = true;
    ctx.write(response);
  }

  private void onResponseContent(Exchange e, HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (content.decoderResult().isFailure()) {
      content.release();
      dropUpstream();
      if (e.responseStarted) {
        ctx.close();
      } else {
        e.closeAfter = true;
        respondError(new ProxyError(HttpResponseStatus.BAD_GATEWAY, "bad_upstream_response",
            "the upstream response could not be parsed"));
      }
      return;
    }
    if (e.informational) {
      content.release();
      if (last) {
        e.informational = false;
      }
      return;
    }
    if (last) {
      e.upstreamFinished = true;
    }
    switch (e.responseMode) {
      case STREAM -> {
        if (last) {
          ctx.writeAndFlush(content).addListener(f -> responseSent(e, f.isSuccess()));
        } else {
          ctx.writeAndFlush(content);
        }
      }
      case AGGREGATE -> {
        e.responseBody.addComponent(true, content.content().retain());
        content.release();
        if (e.responseBody.readableBytes() > route.maxBodyBytes()) {
          e.releaseBuffers();
          e.responseMode = ResponseMode.DROP;
          dropUpstream();
          respondError(ProxyError.responseTooLarge(route.maxBodyBytes()));
        } else if (last) {
          decryptResponse(e);
        }
      }
      default -> content.release();
    }
  }

  private void decryptResponse(Exchange e) {
    byte[] body = ByteBufUtil.getBytes(e.responseBody);
    e.releaseBuffers();
    ProxyRule rule = e.responseRule.orElseThrow();
    submit(e, () -> JsonRewriter.decryptResponse(body, rule, e.facts, crypto), outcome -> {
      if (outcome instanceof Failed f) {
        respondError(f.error());
        return;
      }
      byte[] out = outcome instanceof Rewritten r ? r.body() : body;
      HttpResponse head = e.responseHead;
      FullHttpResponse full = new DefaultFullHttpResponse(
          e.clientVersion.equals(HttpVersion.HTTP_1_0) ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
          head.status(), Unpooled.wrappedBuffer(out), head.headers(), EmptyHttpHeaders.INSTANCE);
      full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
      full.headers().set(HttpHeaderNames.CONTENT_LENGTH, out.length);
      HttpUtil.setKeepAlive(full, e.keepAlive && !e.closeAfter);
      e.responseStarted = true;
      ctx.writeAndFlush(full).addListener(f -> responseSent(e, f.isSuccess()));
    });
  }

  // ---- completion ----

  private void respondError(ProxyError error) {
    Exchange e = ex;
    if (e.responseStarted) {
      ctx.close();
      return;
    }
    if (e.sentUpstream && !e.upstreamFinished) {
      dropUpstream(); // its response, if any, would answer a request we no longer forward
    }
    e.responseMode = ResponseMode.DROP;
    e.responseStarted = true;
    if (!e.requestDone && e.mode == RequestMode.STREAM) {
      e.mode = RequestMode.DISCARD; // answered: the rest of the body goes nowhere
    }
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("code", error.code());
    inner.put("message", error.message());
    byte[] body = JsonTree.toBytes(Map.of("error", inner));
    FullHttpResponse response = new DefaultFullHttpResponse(
        e.clientVersion.equals(HttpVersion.HTTP_1_0) ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
        error.status(), Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    HttpUtil.setKeepAlive(response, e.keepAlive && !e.closeAfter);
    LOG.debug("route {}: answered {} {}", route.name(), error.status().code(), error.code());
    ctx.writeAndFlush(response).addListener(f -> responseSent(e, f.isSuccess()));
  }

  private void responseSent(Exchange e, boolean success) {
    if (ex != e) {
      return;
    }
    if (!success) {
      ctx.close();
      return;
    }
    e.responseDone = true;
    if (!e.upstreamKeepAlive || (e.sentUpstream && !e.upstreamFinished)) {
      dropUpstream();
    }
    if (!e.requestDone && e.mode == RequestMode.STREAM && upstream == null) {
      e.mode = RequestMode.DISCARD;
    }
    maybeFinish();
  }

  private void maybeFinish() {
    Exchange e = ex;
    if (e == null || !e.requestDone || !e.responseDone) {
      maybeReadClient();
      return;
    }
    e.releaseBuffers();
    ex = null;
    if (e.closeAfter || !e.keepAlive) {
      closing = true;
      ctx.close();
      return;
    }
    drainInbox();
    maybeReadClient();
    maybeReadUpstream();
  }

  /** Relays upstream events into the connection (same event loop). */
  private final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext uctx, Object msg) {
      onUpstreamMessage(uctx.channel(), msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext uctx) {
      if (uctx.channel() == upstream) {
        maybeReadUpstream();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext uctx) {
      maybeReadClient();
    }

    @Override
    public void channelInactive(ChannelHandlerContext uctx) {
      onUpstreamGone(uctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext uctx, Throwable cause) {
      LOG.debug("route {}: upstream connection failed: {}", route.name(),
          cause.getClass().getSimpleName());
      uctx.close();
    }
  }
}
