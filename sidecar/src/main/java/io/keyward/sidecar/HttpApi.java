package io.keyward.sidecar;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.keyward.sidecar.Operations.Encrypted;
import io.keyward.sidecar.json.JsonTree;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.CharsetUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The local HTTP/JSON API on Netty: {@code POST /v1/encrypt}, {@code /v1/decrypt}, their
 * {@code /batch} forms, and {@code GET /healthz}, {@code /readyz}, {@code /metrics}. Requests are
 * parsed on the event loop; a request whose data key is not cached completes later on a worker.
 * Responses leave in request order (HTTP/1.1 pipelining), and a connection with many responses
 * pending stops reading until they drain.
 */
final class HttpApi {
  static final String JSON = "application/json";
  private static final int MAX_PENDING = 64;

  /** What {@code /readyz} reports. */
  record Readiness(boolean ready, String status, String reason) {}

  private final Operations operations;
  private final SidecarMetrics metrics;
  private final Supplier<Readiness> readiness;
  private final int maxBodyBytes;
  private final int maxBatchItems;
  private final ByteBufAllocator allocator;

  HttpApi(Operations operations, SidecarMetrics metrics, Supplier<Readiness> readiness,
      int maxBodyBytes, int maxBatchItems, ByteBufAllocator allocator) {
    this.operations = operations;
    this.metrics = metrics;
    this.readiness = readiness;
    this.maxBodyBytes = maxBodyBytes;
    this.maxBatchItems = maxBatchItems;
    this.allocator = allocator;
  }

  /** A pipeline for one listener; {@code healthOnly} serves just the health and metrics routes. */
  ChannelInitializer<Channel> initializer(boolean healthOnly) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline()
            .addLast(new HttpServerCodec(4096, 8192, 8192))
            .addLast(new Aggregator(maxBodyBytes))
            .addLast(new Handler(healthOnly));
      }
    };
  }

  /** Answers an oversized body with the API's JSON error, then closes the connection. */
  private final class Aggregator extends HttpObjectAggregator {
    Aggregator(int max) {
      super(max);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx,
        io.netty.handler.codec.http.HttpMessage oversized) {
      metrics.request("http", "oversized", 400, 0);
      FullHttpResponse r = error(ApiError.bodyTooLarge(maxBodyBytes));
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** One response slot, filled in when its request completes. */
  private static final class Slot {
    FullHttpResponse response;
    boolean keepAlive;
    boolean dropped;
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final boolean healthOnly;
    private final ArrayDeque<Slot> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;

    Handler(boolean healthOnly) {
      this.healthOnly = healthOnly;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      long start = System.nanoTime();
      Slot slot = new Slot();
      slot.keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
      pending.add(slot);
      if (pending.size() >= MAX_PENDING) {
        ctx.channel().config().setAutoRead(false);
      }
      if (req.decoderResult().isFailure()) {
        finish(slot, "malformed", start, error(ApiError.malformed("malformed HTTP request")));
        return;
      }
      String path = req.uri();
      int q = path.indexOf('?');
      if (q >= 0) {
        path = path.substring(0, q);
      }
      Route route = Route.of(path, healthOnly);
      if (route == null) {
        finish(slot, "unknown", start, error(new ApiError(404, "no_route",
            "no such endpoint: " + SidecarConfig.quote(path), io.grpc.Status.Code.NOT_FOUND)));
        return;
      }
      if (!req.method().equals(route.method)) {
        FullHttpResponse r = error(new ApiError(405, "method_not_allowed",
            route.path + " takes " + route.method, io.grpc.Status.Code.UNIMPLEMENTED));
        r.headers().set(HttpHeaderNames.ALLOW, route.method.name());
        finish(slot, route.metric, start, r);
        return;
      }
      switch (route) {
        case HEALTHZ -> finish(slot, route.metric, start, json(200, "{\"status\":\"ok\"}"));
        case READYZ -> finish(slot, route.metric, start, readyz());
        case METRICS -> finish(slot, route.metric, start, metricsResponse());
        default -> api(slot, route, req, start);
      }
    }

    private void api(Slot slot, Route route, FullHttpRequest req, long start) {
      String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
      if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(JSON)) {
        finish(slot, route.metric, start, error(new ApiError(415, "unsupported_media_type",
            "Content-Type must be application/json", io.grpc.Status.Code.INVALID_ARGUMENT)));
        return;
      }
      CompletableFuture<FullHttpResponse> result;
      try {
        Object body = parse(req.content());
        result = switch (route) {
          case ENCRYPT -> encrypt(Requests.encryptItem(body, ""));
          case DECRYPT -> decrypt(Requests.decryptItem(body, ""));
          case ENCRYPT_BATCH -> encryptBatch(Requests.items(body, maxBatchItems));
          default -> decryptBatch(Requests.items(body, maxBatchItems));
        };
      } catch (RuntimeException e) {
        result = CompletableFuture.failedFuture(e);
      }
      CompletableFuture<FullHttpResponse> done = result;
      if (done.isDone()) {
        finish(slot, route.metric, start, responseOf(done));
      } else {
        done.whenCompleteAsync(
            (r, t) -> finish(slot, route.metric, start, responseOf(done)), ctx.executor());
      }
    }

    private FullHttpResponse responseOf(CompletableFuture<FullHttpResponse> f) {
      try {
        return f.join();
      } catch (RuntimeException e) {
        return error(ApiError.of(e));
      }
    }

    private void finish(Slot slot, String metric, long start, FullHttpResponse response) {
      metrics.request("http", metric, response.status().code(), System.nanoTime() - start);
      if (slot.dropped) { // the connection closed before this request completed
        response.release();
        return;
      }
      slot.response = response;
      boolean wrote = false;
      while (!pending.isEmpty() && pending.peek().response != null) {
        Slot s = pending.poll();
        HttpUtil.setKeepAlive(s.response, s.keepAlive);
        wrote = true;
        if (s.keepAlive) {
          ctx.write(s.response);
        } else {
          ctx.writeAndFlush(s.response).addListener(ChannelFutureListener.CLOSE);
          dropAll();
          return;
        }
      }
      if (wrote) {
        ctx.flush();
      }
      if (pending.size() < MAX_PENDING / 2 && !ctx.channel().config().isAutoRead()) {
        ctx.channel().config().setAutoRead(true);
      }
    }

    private void dropAll() {
      for (Slot s : pending) {
        s.dropped = true;
        if (s.response != null) {
          s.response.release();
          s.response = null;
        }
      }
      pending.clear();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      dropAll();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset connection or a protocol error: nothing to answer to.
      ctx.close();
    }
  }

  /** The body as a {@link JsonTree} value; trailing tokens and repeated names are errors. */
  private static Object parse(ByteBuf content) {
    if (!content.isReadable()) {
      throw Requests.bad("request body is empty; expected a JSON object");
    }
    try (ByteBufInputStream in = new ByteBufInputStream(content.duplicate())) {
      Object n = JsonTree.parse(in, JsonTree.Fractions.DOUBLE);
      if (n == JsonTree.NO_VALUE) {
        throw Requests.bad("request body is empty; expected a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr();
      throw Requests.bad("request body is not valid JSON" + where);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private CompletableFuture<FullHttpResponse> encrypt(Requests.EncryptItem item) {
    return operations.encrypt(item.key(), item.plaintext(), item.context())
        .thenApply(e -> write(200, g -> encrypted(g, e)));
  }

  private CompletableFuture<FullHttpResponse> decrypt(Requests.DecryptItem item) {
    return operations.decrypt(item.ciphertext(), item.context())
        .thenApply(p -> write(200, g -> decrypted(g, p)));
  }

  private CompletableFuture<FullHttpResponse> encryptBatch(List<?> items) {
    List<CompletableFuture<Encrypted>> results = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      try {
        Requests.EncryptItem item = Requests.encryptItem(items.get(i), "items[" + i + "].");
        results.add(operations.encrypt(item.key(), item.plaintext(), item.context()));
      } catch (RuntimeException e) {
        results.add(CompletableFuture.failedFuture(e));
      }
    }
    return batch(results, HttpApi::encrypted);
  }

  private CompletableFuture<FullHttpResponse> decryptBatch(List<?> items) {
    List<CompletableFuture<byte[]>> results = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      try {
        Requests.DecryptItem item = Requests.decryptItem(items.get(i), "items[" + i + "].");
        results.add(operations.decrypt(item.ciphertext(), item.context()));
      } catch (RuntimeException e) {
        results.add(CompletableFuture.failedFuture(e));
      }
    }
    return batch(results, HttpApi::decrypted);
  }

  private interface Body<T> {
    void write(JsonGenerator g, T value) throws IOException;
  }

  /** Waits for every item; each result is its value or its own error. */
  private <T> CompletableFuture<FullHttpResponse> batch(List<CompletableFuture<T>> results,
      Body<T> body) {
    return CompletableFuture.allOf(results.stream()
            .map(f -> f.handle((v, t) -> null)).toArray(CompletableFuture[]::new))
        .thenApply(ignored -> write(200, g -> {
          g.writeStartObject();
          g.writeArrayFieldStart("results");
          for (CompletableFuture<T> f : results) {
            T value;
            try {
              value = f.join();
            } catch (RuntimeException e) {
              errorBody(g, ApiError.of(e), true);
              continue;
            }
            body.write(g, value);
          }
          g.writeEndArray();
          g.writeEndObject();
        }));
  }

  private static void encrypted(JsonGenerator g, Encrypted e) throws IOException {
    g.writeStartObject();
    g.writeStringField("ciphertext", e.ciphertext());
    g.writeStringField("key", e.key());
    g.writeNumberField("version", e.version());
    g.writeEndObject();
  }

  private static void decrypted(JsonGenerator g, byte[] plaintext) throws IOException {
    g.writeStartObject();
    // Jackson's default variant is standard Base64 with padding and no line breaks, the same
    // text as Base64.getEncoder(), written straight into the output without a String between.
    g.writeBinaryField("plaintext", plaintext);
    g.writeEndObject();
  }

  private static void errorBody(JsonGenerator g, ApiError e, boolean withStatus)
      throws IOException {
    g.writeStartObject();
    g.writeObjectFieldStart("error");
    g.writeStringField("code", e.code());
    g.writeStringField("message", e.message());
    if (withStatus) {
      g.writeNumberField("status", e.httpStatus());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  private FullHttpResponse readyz() {
    Readiness r = readiness.get();
    return write(r.ready() ? 200 : 503, g -> {
      g.writeStartObject();
      g.writeStringField("status", r.status());
      if (r.reason() != null) {
        g.writeStringField("reason", r.reason());
      }
      g.writeEndObject();
    });
  }

  private FullHttpResponse metricsResponse() {
    byte[] text = metrics.scrape();
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        io.netty.buffer.Unpooled.wrappedBuffer(text));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, SidecarMetrics.CONTENT_TYPE);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
    return r;
  }

  private interface Writer {
    void write(JsonGenerator g) throws IOException;
  }

  private FullHttpResponse write(int status, Writer w) {
    ByteBuf buf = allocator.buffer(256);
    try (JsonGenerator g = JsonTree.generator(new ByteBufOutputStream(buf))) {
      w.write(g);
    } catch (IOException e) {
      buf.release();
      throw new UncheckedIOException(e);
    }
    FullHttpResponse r = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), buf);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, buf.readableBytes());
    return r;
  }

  FullHttpResponse error(ApiError e) {
    return write(e.httpStatus(), g -> errorBody(g, e, false));
  }

  private FullHttpResponse json(int status, String body) {
    byte[] bytes = body.getBytes(CharsetUtil.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(status), io.netty.buffer.Unpooled.wrappedBuffer(bytes));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return r;
  }

  /** The fixed routes; {@code metric} is the label used in metrics. */
  private enum Route {
    HEALTHZ("/healthz", HttpMethod.GET, "healthz", true),
    READYZ("/readyz", HttpMethod.GET, "readyz", true),
    METRICS("/metrics", HttpMethod.GET, "metrics", true),
    ENCRYPT("/v1/encrypt", HttpMethod.POST, "encrypt", false),
    DECRYPT("/v1/decrypt", HttpMethod.POST, "decrypt", false),
    ENCRYPT_BATCH("/v1/encrypt/batch", HttpMethod.POST, "encrypt_batch", false),
    DECRYPT_BATCH("/v1/decrypt/batch", HttpMethod.POST, "decrypt_batch", false);

    final String path;
    final HttpMethod method;
    final String metric;
    final boolean health;

    Route(String path, HttpMethod method, String metric, boolean health) {
      this.path = path;
      this.method = method;
      this.metric = metric;
      this.health = health;
    }

    static Route of(String path, boolean healthOnly) {
      for (Route r : values()) {
        if (r.path.equals(path) && (r.health || !healthOnly)) {
          return r;
        }
      }
      return null;
    }
  }
}
