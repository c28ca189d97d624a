package io.keyward.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.sidecar.SidecarMain;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load driver for the sidecar's local HTTP API. Starts a real keyserver (TLS, SQLite, audit) in
 * this JVM and the sidecar in its own JVM (its shipped JVM options and classpath, started by
 * {@code SidecarMain} from a YAML file, talking to the keyserver over TLS with a token file), so
 * that its start-to-ready time and resident memory are its own. Then three phases over {@code
 * --in-flight} (default 64) keep-alive HTTP/1.1 connections, one request outstanding per
 * connection: {@code GET /healthz},
 * {@code POST /v1/encrypt} and {@code POST /v1/decrypt} of 1 KiB payloads with warm caches.
 * The client is Netty (epoll), like the server; the JDK HttpClient cannot drive 20k requests/s on
 * two cores.
 *
 * <p>Exit codes of {@link #main}: 0 when every request succeeded (targets are reported, not
 * enforced), 1 when any failed, 2 for bad flags, 3 when the run could not start.
 */
public final class SidecarLoad {
  private static final Logger log = LoggerFactory.getLogger(SidecarLoad.class);
  static final String HEALTH = "GET /healthz";
  static final String ENCRYPT = "POST /v1/encrypt";
  static final String DECRYPT = "POST /v1/decrypt";
  static final double TARGET_RATIO = 0.6;
  static final double TARGET_ENCRYPTS_PER_SECOND = 20_000;
  static final long TARGET_RSS_KIB = 96 * 1024;
  static final int PAYLOAD_BYTES = 1024;
  private static final int DECRYPT_POOL_SIZE = 256;
  private static final Pattern VM_RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

  /** The sidecar's JVM options file, inside its jar (sidecar/src/main/jvm/sidecar.options). */
  static final String SIDECAR_OPTIONS = "/META-INF/keyward/sidecar.options";

  private SidecarLoad() {}

  /**
   * The sidecar's JVM options: those the image, {@code bin/keyward sidecar} and this driver share
   * (the options file in the sidecar's jar), or {@code -Dsidecar.jvm.args=...} instead, to try
   * others.
   */
  static List<String> sidecarJvmArgs() throws IOException {
    String override = System.getProperty("sidecar.jvm.args", "").trim();
    if (!override.isEmpty()) {
      return List.of(override.split("\\s+"));
    }
    try (var in = SidecarMain.class.getResourceAsStream(SIDECAR_OPTIONS)) {
      if (in == null) {
        throw new IOException("the sidecar jar has no " + SIDECAR_OPTIONS);
      }
      return optionsFileArgs(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** The options of a java argument file without quotes: '#' to the line's end is a comment. */
  static List<String> optionsFileArgs(String text) {
    List<String> args = new ArrayList<>();
    for (String line : text.split("\\R")) {
      int hash = line.indexOf('#');
      String options = (hash < 0 ? line : line.substring(0, hash)).trim();
      if (!options.isEmpty()) {
        args.addAll(List.of(options.split("\\s+")));
      }
    }
    return args;
  }

  /** Results: the phases, the sidecar's start-to-ready time and its peak resident memory. */
  record Report(List<PhaseResult> phases, Duration startToReady, long peakRssKib,
      List<String> sidecarJvmArgs, Instant finishedAt) {

    PhaseResult phase(String name) {
      return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    double encryptToHealthRatio() {
      return phase(ENCRYPT).opsPerSecond() / phase(HEALTH).opsPerSecond();
    }

    long errorCount() {
      return phases.stream().mapToLong(PhaseResult::errorCount).sum();
    }

    String table() {
      StringBuilder b = new StringBuilder(String.format("%-18s %12s %10s %10s %10s %9s%n",
          "phase", "requests/s", "p50 ms", "p99 ms", "p99.9 ms", "errors"));
      for (PhaseResult p : phases) {
        b.append(String.format("%-18s %12.0f %10.3f %10.3f %10.3f %9d%n", p.name(),
            p.opsPerSecond(), p.p50Micros() / 1000.0, p.p99Micros() / 1000.0,
            p.p999Micros() / 1000.0, p.errorCount()));
      }
      b.append(String.format("encrypt/healthz ratio  %.2f (target >= %.1f)%n",
          encryptToHealthRatio(), TARGET_RATIO));
      b.append(String.format("encrypts/s             %.0f (target >= %.0f)%n",
          phase(ENCRYPT).opsPerSecond(), TARGET_ENCRYPTS_PER_SECOND));
      b.append(String.format("sidecar start-to-ready %d ms (process start to first 200 on"
          + " /readyz)%n", startToReady.toMillis()));
      b.append(String.format("sidecar peak RSS       %.1f MiB under load (target <= 96 MiB;"
          + " JVM %s)%n", peakRssKib / 1024.0, String.join(" ", sidecarJvmArgs)));
      for (PhaseResult p : phases) {
        if (p.errorCount() > 0) {
          b.append("errors in ").append(p.name()).append(": ").append(p.errors()).append('\n');
        }
      }
      return b.toString();
    }

    void writeJson(Path file) throws IOException {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("finishedAt", finishedAt.toString());
      List<Map<String, Object>> list = new ArrayList<>();
      for (PhaseResult p : phases) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("requests", p.operations());
        m.put("requestsPerSecond", Math.round(p.opsPerSecond()));
        m.put("p50Ms", p.p50Micros() / 1000.0);
        m.put("p99Ms", p.p99Micros() / 1000.0);
        m.put("p999Ms", p.p999Micros() / 1000.0);
        m.put("errors", p.errors());
        list.add(m);
      }
      json.put("phases", list);
      json.put("encryptToHealthRatio", encryptToHealthRatio());
      json.put("startToReadyMs", startToReady.toMillis());
      json.put("peakRssMiB", peakRssKib / 1024.0);
      json.put("sidecarJvmArgs", sidecarJvmArgs);
      json.put("errors", errorCount());
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
    }
  }

  public static void main(String[] args) {
    LoadOptions options;
    try {
      options = LoadOptions.parse(List.of(args));
    } catch (IllegalArgumentException e) {
      System.err.println("SidecarLoad: " + e.getMessage());
      System.err.println(LoadOptions.USAGE.replace("KeyserverLoad", "SidecarLoad")
          .replace("calls in flight at every moment", "HTTP connections (one request each)"));
      System.exit(2);
      return;
    }
    int code;
    try {
      Report report = run(options);
      System.out.print(report.table());
      if (options.out().isPresent()) {
        report.writeJson(options.out().get());
        System.out.println("results written to " + options.out().get());
      }
      code = report.errorCount() == 0 ? 0 : 1;
    } catch (Exception e) {
      log.error("sidecar load run failed", e);
      code = 3;
    }
    System.exit(code);
  }

  /** Runs the benchmark; failed requests are counted in the report. */
  static Report run(LoadOptions options) throws Exception {
    Path dir = Files.createTempDirectory("keyward-sidecar-bench");
    try (BenchKeyserver keyserver = BenchKeyserver.start(dir)) {
      createKey(keyserver, options.deadline());
      Path token = Files.writeString(dir.resolve("token"), keyserver.workloadToken());
      Path config = Files.writeString(dir.resolve("sidecar.yaml"), """
          keyserver:
            address: localhost:%d
            caFile: %s
          tokenFile: %s
          listen:
            http: 127.0.0.1:0
            grpc: 127.0.0.1:0
          defaultKey: %s
          """.formatted(keyserver.port(), keyserver.caCertificate(), token, BenchKeyserver.KEY));
      List<String> jvmArgs = sidecarJvmArgs();
      try (SidecarProcess sidecar = SidecarProcess.start(config, jvmArgs, dir)) {
        log.info("sidecar pid {} on port {}, ready after {} ms", sidecar.pid(), sidecar.port,
            sidecar.startToReady.toMillis());
        return drive(options, sidecar, jvmArgs);
      }
    } finally {
      deleteRecursively(dir);
    }
  }

  private static Report drive(LoadOptions options, SidecarProcess sidecar, List<String> jvmArgs)
      throws Exception {
    byte[] plaintext = new byte[PAYLOAD_BYTES];
    new SecureRandom().nextBytes(plaintext);
    ObjectMapper json = new ObjectMapper();
    Map<String, Object> encryptBody = Map.of("plaintext",
        Base64.getEncoder().encodeToString(plaintext), "context", BenchKeyserver.CONTEXT);
    byte[] encryptJson = json.writeValueAsBytes(encryptBody);
    // Ciphertexts for the decrypt phase; made through the sidecar, which warms both caches.
    List<byte[]> decryptJson = new ArrayList<>();
    HttpClient setup = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < DECRYPT_POOL_SIZE; i++) {
      HttpResponse<String> r = setup.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + sidecar.port + "/v1/encrypt"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(encryptJson)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("setup encrypt failed: " + r.statusCode() + " " + r.body());
      }
      JsonNode ct = json.readTree(r.body()).get("ciphertext");
      decryptJson.add(json.writeValueAsBytes(Map.of("ciphertext", ct.asText(),
          "context", BenchKeyserver.CONTEXT)));
    }
    byte[] expectedDecrypt = json.writeValueAsBytes(
        Map.of("plaintext", Base64.getEncoder().encodeToString(plaintext)));
    byte[] ciphertextPrefix = "{\"ciphertext\":\"kw1.".getBytes(StandardCharsets.US_ASCII);

    try (HttpLoadClient client = HttpLoadClient.connect(sidecar.port, options.inFlight())) {
      ClosedLoop loop = new ClosedLoop(options.inFlight(), options.deadline().plusSeconds(5));
      List<PhaseResult> phases = new ArrayList<>();
      java.util.concurrent.atomic.AtomicLong peakRss = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.ScheduledExecutorService sampler =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rss-sampler");
            t.setDaemon(true);
            return t;
          });
      sampler.scheduleAtFixedRate(() -> peakRss.accumulateAndGet(sidecar.rssKib(), Math::max),
          0, 100, TimeUnit.MILLISECONDS);
      Runnable sampleRss = () -> peakRss.accumulateAndGet(sidecar.rssKib(), Math::max);
      phases.add(loop.run(HEALTH, client.operation(HttpMethod.GET, "/healthz", s -> null,
          (s, body) -> body.readableBytes() > 0), options.warmup(), options.duration()));
      sampleRss.run();
      phases.add(loop.run(ENCRYPT, client.operation(HttpMethod.POST, "/v1/encrypt",
          s -> encryptJson, (s, body) -> startsWith(body, ciphertextPrefix)),
          options.warmup(), options.duration()));
      sampleRss.run();
      phases.add(loop.run(DECRYPT, client.operation(HttpMethod.POST, "/v1/decrypt",
          s -> decryptJson.get((int) (s % decryptJson.size())),
          (s, body) -> ByteBufUtil.equals(body, Unpooled.wrappedBuffer(expectedDecrypt))),
          options.warmup(), options.duration()));
      sampleRss.run();
      sampler.shutdownNow();
      return new Report(phases, sidecar.startToReady, peakRss.get(), jvmArgs, Instant.now());
    }
  }

  private static boolean startsWith(ByteBuf body, byte[] prefix) {
    return body.readableBytes() > prefix.length
        && ByteBufUtil.equals(body, body.readerIndex(), Unpooled.wrappedBuffer(prefix), 0,
            prefix.length);
  }

  private static void createKey(BenchKeyserver keyserver, Duration deadline) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", keyserver.port())
        .sslContext(GrpcSslContexts.forClient()
            .trustManager(keyserver.caCertificate().toFile()).build())
        .build();
    try {
      AdminServiceGrpc.newBlockingStub(channel)
          .withCallCredentials(KeyserverLoad.bearer(keyserver.adminToken()))
          .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
          .createKey(CreateKeyRequest.newBuilder().setName(BenchKeyserver.KEY).build());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The sidecar in its own JVM, from this classpath. */
  static final class SidecarProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening http [^ ]+:(\\d+),");
    final Process process;
    final int port;
    final Duration startToReady;

    private SidecarProcess(Process process, int port, Duration startToReady) {
      this.process = process;
      this.port = port;
      this.startToReady = startToReady;
    }

    static SidecarProcess start(Path config, List<String> jvmArgs, Path dir) throws Exception {
      List<String> command = new ArrayList<>();
      // -Dsidecar.java.home=DIR runs the sidecar on another JVM than the driver's.
      command.add(Path.of(System.getProperty("sidecar.java.home",
          System.getProperty("java.home")), "bin", "java").toString());
      command.addAll(jvmArgs);
      command.add("-cp");
      command.add(sidecarClasspath());
      command.add("io.keyward.sidecar.SidecarMain");
      command.add("--config");
      command.add(config.toString());
      Path out = dir.resolve("sidecar.out");
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(out.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("KEYWARD_"));
      // As the image (deploy/images/sidecar) and bin/keyward set it: glibc's per-thread malloc
      // arenas would add tens of MiB.
      pb.environment().put("MALLOC_ARENA_MAX", System.getProperty("sidecar.malloc.arena.max", "2"));
      long t0 = System.nanoTime();
      Process p = pb.start();
      try {
        int port = -1;
        long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        while (true) {
          if (System.nanoTime() > deadline || !p.isAlive()) {
            throw new TimeoutException("sidecar did not become ready: "
                + (Files.exists(out) ? Files.readString(out) : ""));
          }
          if (port < 0 && Files.exists(out)) {
            Matcher m = LISTENING.matcher(Files.readString(out));
            if (m.find()) {
              port = Integer.parseInt(m.group(1));
            }
          }
          if (port > 0) {
            try {
              HttpResponse<Void> r = http.send(HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                  HttpResponse.BodyHandlers.discarding());
              if (r.statusCode() == 200) {
                return new SidecarProcess(p, port, Duration.ofNanos(System.nanoTime() - t0));
              }
            } catch (IOException notYet) {
              // not listening yet
            }
          }
          Thread.sleep(2);
        }
      } catch (Exception e) {
        p.destroyForcibly();
        throw e;
      }
    }

    /**
     * The sidecar's own runtime classpath, as its image ships it: its jar (or classes) and the
     * {@code runtime-classpath.txt} its build writes beside it. The driver's classpath also holds
     * the keyserver, shaded gRPC and the benchmark libraries, which the sidecar never has.
     */
    static String sidecarClasspath() throws Exception {
      Path self = Path.of(SidecarMain.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      Path libs = self.resolveSibling("runtime-classpath.txt");
      if (!Files.isRegularFile(libs)) {
        log.warn("{} is missing (build the sidecar with mvn package); the sidecar runs on the"
            + " driver's classpath", libs);
        return System.getProperty("java.class.path");
      }
      return self + java.io.File.pathSeparator + Files.readString(libs).trim();
    }

    long pid() {
      return process.pid();
    }

    /** Resident set size from /proc (0 where there is no /proc). */
    long rssKib() {
      try {
        Matcher m = VM_RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid()),
            "status")));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
      } catch (IOException e) {
        return 0;
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy(); // SIGTERM: the sidecar drains and exits
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Keep-alive HTTP/1.1 connections, each carrying one request at a time. */
  static final class HttpLoadClient implements AutoCloseable {
    private final EventLoopGroup group;
    private final BlockingQueue<Connection> idle;
    private final List<Connection> all = new ArrayList<>();

    interface Body {
      byte[] forSequence(long sequence);
    }

    interface Check {
      boolean ok(long sequence, ByteBuf body);
    }

    /** One connection and the request it is waiting for. */
    private static final class Connection {
      Channel channel;
      StreamObserver<Boolean> observer;
      long sequence;
      Check check;
    }

    private HttpLoadClient(EventLoopGroup group, int connections) {
      this.group = group;
      this.idle = new ArrayBlockingQueue<>(connections);
    }

    static HttpLoadClient connect(int port, int connections) throws InterruptedException {
      boolean epoll = Epoll.isAvailable();
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
          epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
      HttpLoadClient client = new HttpLoadClient(group, connections);
      Bootstrap b = new Bootstrap().group(group)
          .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true);
      for (int i = 0; i < connections; i++) {
        Connection c = new Connection();
        c.channel = b.handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                new SimpleChannelInboundHandler<FullHttpResponse>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                    client.complete(c, r.status().code() == 200
                        && c.check.ok(c.sequence, r.content()), null);
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    if (c.observer != null) {
                      client.complete(c, false, Status.UNAVAILABLE
                          .withDescription("connection closed").asRuntimeException());
                    }
                  }
                });
          }
        }).connect("127.0.0.1", port).sync().channel();
        client.all.add(c);
        client.idle.add(c);
      }
      return client;
    }

    private void complete(Connection c, boolean ok, RuntimeException error) {
      StreamObserver<Boolean> observer = c.observer;
      c.observer = null;
      idle.add(c); // before the permit is released, so a permit always finds a connection
      if (error != null) {
        observer.onError(error);
        return;
      }
      observer.onNext(ok);
      observer.onCompleted();
    }

    ClosedLoop.Operation<Boolean> operation(HttpMethod method, String path, Body body,
        Check check) {
      return new ClosedLoop.Operation<>() {
        @Override
        public void start(long sequence, StreamObserver<Boolean> observer) {
          Connection c = idle.poll();
          if (c == null) {
            throw new IllegalStateException("no idle connection");
          }
          c.observer = observer;
          c.sequence = sequence;
          c.check = check;
          byte[] bytes = body.forSequence(sequence);
          FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
              bytes == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
          req.headers().set(HttpHeaderNames.HOST, "127.0.0.1");
          if (bytes != null) {
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
          }
          req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes == null ? 0 : bytes.length);
          c.channel.writeAndFlush(req, c.channel.voidPromise());
        }

        @Override
        public boolean accept(long sequence, Boolean ok) {
          return ok;
        }
      };
    }

    @Override
    public void close() {
      for (Connection c : all) {
        c.observer = null;
        c.channel.close();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
