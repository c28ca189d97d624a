package io.keyward.bench;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.StreamObserver;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.DecryptDataKeyResponse;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Load driver for the keyserver: starts real ones (the production launcher: TLS, file root key,
 * durable hash-chained audit, JWT verification) on loopback ports, one on an SQLite file or
 * several replicas on one fresh PostgreSQL database, then drives three phases over TLS with
 * exactly N calls in flight, spread over the replicas: the plain gRPC health check,
 * GenerateDataKey and DecryptDataKey (both with a real JWT, authorized by policy and audited).
 * Each phase warms up, then measures ops/s and latency percentiles.
 *
 * <p>Exit codes of {@link #main}: 0 when every call succeeded (whether or not the performance
 * targets were met: they are reported, not enforced), 1 when any call failed, 2 for bad flags,
 * 3 when the run could not start or exceeded its time limit.
 */
public final class KeyserverLoad {
  private static final Logger log = LoggerFactory.getLogger(KeyserverLoad.class);
  /** Wrapped data keys decrypted round robin in the DecryptDataKey phase. */
  static final int DECRYPT_POOL_SIZE = 1024;
  /** The h2load executable, from nghttp2 ({@code apt-get install nghttp2-client}). */
  static final String H2LOAD = "h2load";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private KeyserverLoad() {}

  public static void main(String[] args) {
    LoadOptions options;
    try {
      options = LoadOptions.parse(List.of(args));
    } catch (IllegalArgumentException e) {
      System.err.println("KeyserverLoad: " + e.getMessage());
      System.err.println(LoadOptions.USAGE);
      System.exit(2);
      return;
    }
    int code;
    try {
      LoadReport report = run(options);
      System.out.print(report.table());
      if (options.out().isPresent()) {
        report.writeJson(options.out().get());
        System.out.println("results written to " + options.out().get());
      }
      code = report.errorCount() == 0 ? 0 : 1;
    } catch (TimeoutException e) {
      log.error("keyserver load run abandoned: {}", e.getMessage());
      code = 3;
    } catch (Exception e) {
      log.error("keyserver load run failed", e);
      code = 3;
    }
    // Exit explicitly: a thread left behind by an abandoned run must not keep the JVM alive.
    System.exit(code);
  }

  /**
   * Runs the benchmark and returns its report; calls that failed are counted in the report.
   *
   * @throws TimeoutException when the run exceeded {@link LoadOptions#timeLimit()}; it was then
   *     interrupted, and its server and channels closed
   * @throws Exception when the keyserver could not be started or set up
   */
  public static LoadReport run(LoadOptions options) throws Exception {
    ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, CpuSnapshot.CLIENT_PREFIX + "-dispatcher");
      t.setDaemon(true);
      return t;
    });
    Future<LoadReport> result = runner.submit(() -> runUnbounded(options));
    try {
      return result.get(options.timeLimit().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      result.cancel(true);
      runner.shutdown();
      // Give try-with-resources a moment to close the server and channels.
      runner.awaitTermination(15, TimeUnit.SECONDS);
      throw new TimeoutException("the run exceeded its time limit of " + options.timeLimit());
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } finally {
      runner.shutdownNow();
    }
  }

  private static LoadReport runUnbounded(LoadOptions options) throws Exception {
    Path dir = options.dataDir().isPresent()
        ? Files.createTempDirectory(Files.createDirectories(options.dataDir().get()), "keyward-bench")
        : Files.createTempDirectory("keyward-bench");
    try (BenchStore store = BenchStore.open(options, dir);
        BenchKeyserver server = BenchKeyserver.start(dir, store.location(), options.replicas());
        Channels channels = Channels.open(server, options.channels())) {
      log.info("keyservers on 127.0.0.1 ports {} over {}; {}", server.ports(), store, options);
      createKey(channels.get(0), server.adminToken(), options.deadline());
      CallCredentials workload = bearer(server.workloadToken());
      List<GenerateDataKeyResponse> pool = generatePool(channels.get(0), workload, options.deadline());
      List<PhaseResult> phases = options.driver() == LoadOptions.Driver.H2LOAD
          ? h2loadPhases(server, dir, options, pool.get(0))
          : javaPhases(channels, workload, options, pool, store);
      return new LoadReport(options, phases, Instant.now());
    } finally {
      deleteRecursively(dir);
    }
  }

  private static List<PhaseResult> javaPhases(
      Channels channels, CallCredentials workload, LoadOptions options, List<GenerateDataKeyResponse> pool,
      BenchStore store) throws InterruptedException {
    ClosedLoop loop = new ClosedLoop(options.inFlight(), options.deadline().plusSeconds(5), store::externalCpuNanos);
    return List.of(
        loop.run(LoadReport.HEALTH, health(channels, options.deadline()), options.warmup(), options.duration()),
        loop.run(LoadReport.GENERATE, generate(channels, workload, options.deadline()),
            options.warmup(), options.duration()),
        loop.run(LoadReport.DECRYPT, decrypt(channels, workload, options.deadline(), pool),
            options.warmup(), options.duration()));
  }

  /** The same three phases driven by h2load; the Java channels stay idle. */
  private static List<PhaseResult> h2loadPhases(
      BenchKeyserver server, Path dir, LoadOptions options, GenerateDataKeyResponse dataKey)
      throws IOException, InterruptedException {
    H2LoadPhase h2load = new H2LoadPhase(H2LOAD, server.port(), dir, options);
    ServerCallCounts counts = new ServerCallCounts(server.metricsPort());
    Optional<String> token = Optional.of(server.workloadToken());
    String generate = KeyServiceGrpc.getGenerateDataKeyMethod().getFullMethodName();
    String decrypt = KeyServiceGrpc.getDecryptDataKeyMethod().getFullMethodName();
    return List.of(
        h2load.run(LoadReport.HEALTH, HealthGrpc.getCheckMethod().getFullMethodName(),
            HealthCheckRequest.getDefaultInstance(), Optional.empty(), GrpcOutcomes.answered(
                HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build())),
        h2load.run(LoadReport.GENERATE, generate, generateRequest(), token, GrpcOutcomes.answeredOk(counts, generate)),
        h2load.run(LoadReport.DECRYPT, decrypt, decryptRequest(dataKey), token, GrpcOutcomes.answeredOk(counts, decrypt)));
  }

  private static ClosedLoop.Operation<HealthCheckResponse> health(Channels channels, Duration deadline) {
    HealthCheckRequest request = HealthCheckRequest.getDefaultInstance();
    List<HealthGrpc.HealthStub> stubs = channels.stubs(HealthGrpc::newStub);
    return new ClosedLoop.Operation<>() {
      @Override
      public void start(long sequence, StreamObserver<HealthCheckResponse> observer) {
        pick(stubs, sequence).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS).check(request, observer);
      }

      @Override
      public boolean accept(long sequence, HealthCheckResponse response) {
        return response.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
      }
    };
  }

  private static ClosedLoop.Operation<GenerateDataKeyResponse> generate(
      Channels channels, CallCredentials credentials, Duration deadline) {
    GenerateDataKeyRequest request = generateRequest();
    List<KeyServiceGrpc.KeyServiceStub> stubs =
        channels.stubs(c -> KeyServiceGrpc.newStub(c).withCallCredentials(credentials));
    return new ClosedLoop.Operation<>() {
      @Override
      public void start(long sequence, StreamObserver<GenerateDataKeyResponse> observer) {
        pick(stubs, sequence).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
            .generateDataKey(request, observer);
      }

      @Override
      public boolean accept(long sequence, GenerateDataKeyResponse response) {
        return response.getPlaintextDataKey().size() == 32 && !response.getWrappedDataKey().isEmpty();
      }
    };
  }

  private static ClosedLoop.Operation<DecryptDataKeyResponse> decrypt(
      Channels channels, CallCredentials credentials, Duration deadline, List<GenerateDataKeyResponse> pool) {
    List<DecryptDataKeyRequest> requests = pool.stream().map(KeyserverLoad::decryptRequest).toList();
    List<KeyServiceGrpc.KeyServiceStub> stubs =
        channels.stubs(c -> KeyServiceGrpc.newStub(c).withCallCredentials(credentials));
    return new ClosedLoop.Operation<>() {
      @Override
      public void start(long sequence, StreamObserver<DecryptDataKeyResponse> observer) {
        pick(stubs, sequence).withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
            .decryptDataKey(pick(requests, sequence), observer);
      }

      @Override
      public boolean accept(long sequence, DecryptDataKeyResponse response) {
        // The unwrapped key must be the one GenerateDataKey handed out with this wrapped key.
        return response.getPlaintextDataKey().equals(pick(pool, sequence).getPlaintextDataKey());
      }
    };
  }

  private static DecryptDataKeyRequest decryptRequest(GenerateDataKeyResponse dataKey) {
    return DecryptDataKeyRequest.newBuilder()
        .setWrappedDataKey(dataKey.getWrappedDataKey())
        .putAllEncryptionContext(BenchKeyserver.CONTEXT)
        .build();
  }

  static GenerateDataKeyRequest generateRequest() {
    return GenerateDataKeyRequest.newBuilder()
        .setKeyName(BenchKeyserver.KEY)
        .putAllEncryptionContext(BenchKeyserver.CONTEXT)
        .build();
  }

  private static void createKey(ManagedChannel channel, String adminToken, Duration deadline) {
    AdminServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(bearer(adminToken))
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .createKey(CreateKeyRequest.newBuilder().setName(BenchKeyserver.KEY).build());
  }

  /** Data keys to decrypt later, made by the server under the same key and context. */
  private static List<GenerateDataKeyResponse> generatePool(
      ManagedChannel channel, CallCredentials credentials, Duration deadline)
      throws InterruptedException, ExecutionException {
    KeyServiceGrpc.KeyServiceFutureStub stub = KeyServiceGrpc.newFutureStub(channel).withCallCredentials(credentials);
    GenerateDataKeyRequest request = generateRequest();
    List<GenerateDataKeyResponse> pool = new ArrayList<>(DECRYPT_POOL_SIZE);
    final int batch = 64; // all of one batch share an audit commit
    for (int done = 0; done < DECRYPT_POOL_SIZE; done += batch) {
      List<Future<GenerateDataKeyResponse>> calls = new ArrayList<>(batch);
      for (int i = 0; i < Math.min(batch, DECRYPT_POOL_SIZE - done); i++) {
        calls.add(stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS).generateDataKey(request));
      }
      for (Future<GenerateDataKeyResponse> call : calls) {
        pool.add(call.get());
      }
    }
    return pool;
  }

  private static <T> T pick(List<T> list, long sequence) {
    return list.get((int) (sequence % list.size()));
  }

  static CallCredentials bearer(String token) {
    String header = "Bearer " + token;
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, header);
        applier.apply(headers);
      }
    };
  }

  private static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  /**
   * TLS channels to the bench keyservers, trusting only their test CA; channel i goes to replica
   * i mod N, so round robin over the channels is round robin over the replicas.
   */
  private static final class Channels implements AutoCloseable {
    private final List<ManagedChannel> channels;
    private final EventLoopGroup group;

    private Channels(List<ManagedChannel> channels, EventLoopGroup group) {
      this.channels = channels;
      this.group = group;
    }

    static Channels open(BenchKeyserver server, int count) throws IOException {
      // The driver's own I/O threads, apart from the server's (gRPC would share one default group
      // between both), so that the CPU they use can be told apart.
      boolean epoll = Epoll.isAvailable();
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(count,
          new DefaultThreadFactory(CpuSnapshot.CLIENT_PREFIX + "-io", true),
          epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
      List<Integer> ports = server.ports();
      List<ManagedChannel> list = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        list.add(NettyChannelBuilder.forAddress("127.0.0.1", ports.get(i % ports.size()))
            .eventLoopGroup(group)
            .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .sslContext(GrpcSslContexts.forClient().trustManager(server.caCertificate().toFile()).build())
            .overrideAuthority("localhost")
            // Completions only record a latency and return a permit: run them on the I/O thread.
            .directExecutor()
            .build());
      }
      return new Channels(List.copyOf(list), group);
    }

    ManagedChannel get(int i) {
      return channels.get(i);
    }

    <S> List<S> stubs(Function<ManagedChannel, S> factory) {
      return channels.stream().map(factory).toList();
    }

    @Override
    public void close() {
      channels.forEach(ManagedChannel::shutdownNow);
      try {
        for (ManagedChannel c : channels) {
          c.awaitTermination(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        // Abandoned run: the threads are daemons and the channels already shut down.
        Thread.currentThread().interrupt();
      }
    }
  }
}
