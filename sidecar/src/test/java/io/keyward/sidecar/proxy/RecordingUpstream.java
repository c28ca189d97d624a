package io.keyward.sidecar.proxy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP server standing in for the upstream (or, for ingress, the app): it records every
 * request it receives and stores JSON resources. {@code POST/PUT /.../customers/ID} stores the body
 * (201 and {@code X-Upstream: stored}); {@code GET} of the same path returns it as JSON; an
 * unknown resource is a 404 with a JSON body. Other paths can be given their own handlers.
 */
final class RecordingUpstream implements AutoCloseable {
  /** One request as the upstream saw it. */
  record Received(String method, String uri, Headers headers, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  final Map<String, byte[]> stored = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  RecordingUpstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::resources);
  }

  static RecordingUpstream start() throws IOException {
    RecordingUpstream u = new RecordingUpstream();
    u.server.start();
    return u;
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  /** Serves {@code prefix} with {@code handler}, after recording the request. */
  void handle(String prefix, HttpHandler handler) {
    server.createContext(prefix, exchange -> {
      record(exchange);
      handler.handle(exchange);
    });
  }

  Received last() {
    if (received.isEmpty()) {
      throw new AssertionError("the upstream received no request");
    }
    return received.get(received.size() - 1);
  }

  private byte[] record(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
        exchange.getRequestHeaders(), body));
    return body;
  }

  private void resources(HttpExchange exchange) throws IOException {
    byte[] body = record(exchange);
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    if ((method.equals("POST") || method.equals("PUT")) && path.contains("/customers/")) {
      stored.put(path, body);
      exchange.getResponseHeaders().set("X-Upstream", "stored");
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      send(exchange, 201, "{\"stored\":true}".getBytes(StandardCharsets.UTF_8));
    } else if (method.equals("GET") && stored.containsKey(path)) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      send(exchange, 200, stored.get(path));
    } else {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("X-Upstream", "missing");
      send(exchange, 404, "{\"error\":\"no such resource\"}".getBytes(StandardCharsets.UTF_8));
    }
  }

  static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
