package io.keyward.sidecar;


import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.KeywardSettings;
import io.keyward.sdk.TokenSource;
import io.keyward.sdk.TokenSources;
import io.keyward.sidecar.proxy.FieldProxyRoutes;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a sidecar from a {@link SidecarConfig}: the keyserver client, the local HTTP and gRPC
 * APIs (loopback TCP, optionally Unix sockets), an optional health listener, and the proxy routes.
 * Start-up does not wait for the keyserver: the APIs listen at once and {@code /readyz} says when
 * the keyserver has answered.
 */
public final class SidecarLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(SidecarLauncher.class);

  private SidecarLauncher() {}

  /** Start-up failed: a port in use, an unreadable CA file, a bad proxy route. */
  public static final class StartupException extends Exception {
    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A running sidecar. {@link #close()} stops listening, drains and releases everything. */
  public static final class Running implements AutoCloseable {
    private final List<AutoCloseable> resources; // closed in reverse order
    private final int httpPort;
    private final int grpcPort;
    private final Optional<Integer> healthPort;
    private boolean closed;

    private Running(List<AutoCloseable> resources, int httpPort, int grpcPort,
        Optional<Integer> healthPort) {
      this.resources = resources;
      this.httpPort = httpPort;
      this.grpcPort = grpcPort;
      this.healthPort = healthPort;
    }

    /** The loopback HTTP port (the bound one when the configuration said 0). */
    public int httpPort() {
      return httpPort;
    }

    /** The loopback gRPC port (the bound one when the configuration said 0). */
    public int grpcPort() {
      return grpcPort;
    }

    /** The health/metrics-only listener's port, when one is configured. */
    public Optional<Integer> healthPort() {
      return healthPort;
    }

    /** Stops listening, lets in-flight requests finish within the grace period, then stops. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception e) {
          LOG.warn("error while stopping ({})", e.getClass().getSimpleName());
        }
      }
    }
  }

  /** Starts the sidecar, with the transparent JSON-field proxy serving its {@code proxy:} routes. */
  public static Running start(SidecarConfig config) throws StartupException {
    return start(config, config.proxyRoutes().isEmpty() ? null : new FieldProxyRoutes());
  }

  /**
   * Starts the sidecar; {@code proxy} (may be null when there are no routes) serves the proxy
   * routes.
   *
   * <p>Guarantee: the local APIs listen on loopback addresses and on Unix sockets with mode
   * {@link SidecarConfig#unixSocketMode()} only; the keyserver is reached over TLS (unless the
   * configuration says insecurePlaintext) with the pod's token, re-read when its file changes.
   *
   * @throws StartupException when something cannot be started; everything started is stopped
   */
  public static Running start(SidecarConfig config, ProxyRoutes proxy) throws StartupException {
    return start(config, proxy, null);
  }

  /** As {@link #start(SidecarConfig, ProxyRoutes)}; {@code cacheClock} ages the caches (tests). */
  static Running start(SidecarConfig config, ProxyRoutes proxy, Clock cacheClock)
      throws StartupException {
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      return doStart(config, proxy, cacheClock, resources);
    } catch (Exception e) {
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof StartupException s) {
        throw s;
      }
      throw new StartupException("sidecar failed to start: " + e.getMessage(), e);
    }
  }

  private static Running doStart(SidecarConfig config, ProxyRoutes proxy, Clock cacheClock,
      List<AutoCloseable> resources) throws Exception {
    long grace = config.shutdownGracePeriod().toMillis();
    SidecarMetrics metrics = new SidecarMetrics();
    KeyserverHealth health = new KeyserverHealth(metrics.registry);

    NettyLoops loops = new NettyLoops(
        Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), grace);
    resources.add(loops);
    ManagedChannel channel = loops.channel(config.keyserverAddress(), credentials(config))
        .intercept(health)
        .build();
    resources.add(() -> {
      channel.shutdown();
      if (!channel.awaitTermination(grace, TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    });
    TokenSource token = TokenSources.file(config.tokenFile());
    KeywardSettings.Builder settings = config.sdkSettings().tokenSource(token);
    if (cacheClock != null) {
      settings.clock(cacheClock);
    }
    KeywardClient client = KeywardClient.create(settings.build(), channel);
    resources.add(client);
    metrics.bindCache(client);

    ThreadPoolExecutor workers = new ThreadPoolExecutor(config.workerThreads(),
        config.workerThreads(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(config.workerQueue()), NettyLoops.daemon("keyward-sidecar-worker"));
    workers.allowCoreThreadTimeOut(true);
    resources.add(() -> {
      workers.shutdown();
      workers.awaitTermination(grace, TimeUnit.MILLISECONDS);
    });
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(NettyLoops.daemon("keyward-sidecar-probe"));
    resources.add(scheduler::shutdownNow);

    Operations operations = new Operations(client, config.defaultKey(), workers);
    HttpApi http = new HttpApi(operations, metrics, () -> readiness(token, health),
        config.maxBodyBytes(), config.maxBatchItems(), loops.allocator());

    Channel httpChannel = loops.tcpServer(http.initializer(false))
        .bind(new InetSocketAddress(config.httpListen().host(), config.httpListen().port()))
        .sync().channel();
    resources.add(() -> httpChannel.close().sync());
    int httpPort = ((InetSocketAddress) httpChannel.localAddress()).getPort();

    if (config.httpUnixSocket().isPresent()) {
      Path socket = config.httpUnixSocket().get();
      ServerBootstrap unixServer = loops.unixServer(http.initializer(false),
          "listen.httpUnixSocket");
      Files.deleteIfExists(socket); // a stale socket from a previous run
      Channel unix = unixServer.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
      restrict(socket, config.unixSocketMode());
      resources.add(() -> {
        unix.close().sync();
        Files.deleteIfExists(socket);
      });
    }

    Optional<Integer> healthPort = Optional.empty();
    if (config.healthListen().isPresent()) {
      SidecarConfig.HostPort hp = config.healthListen().get();
      Channel h = loops.tcpServer(http.initializer(true))
          .bind(new InetSocketAddress(hp.host(), hp.port())).sync().channel();
      resources.add(() -> h.close().sync());
      healthPort = Optional.of(((InetSocketAddress) h.localAddress()).getPort());
    }

    GrpcApi grpcApi = new GrpcApi(operations, metrics, config.maxBodyBytes(),
        config.maxBatchItems());
    HealthStatusManager grpcHealth = new HealthStatusManager();
    Server grpc = grpcServer(loops.grpcServer(
        new InetSocketAddress(config.grpcListen().host(), config.grpcListen().port())),
        grpcApi, grpcHealth, config).start();
    resources.add(() -> stop(grpc, grace));
    if (config.grpcUnixSocket().isPresent()) {
      Path socket = config.grpcUnixSocket().get();
      NettyServerBuilder unixServer = loops.grpcServer(socket, "listen.grpcUnixSocket");
      Files.deleteIfExists(socket);
      Server unix = grpcServer(unixServer, grpcApi, grpcHealth, config).start();
      restrict(socket, config.unixSocketMode());
      resources.add(() -> {
        stop(unix, grace);
        Files.deleteIfExists(socket);
      });
    }

    health.startProbing(channel, scheduler, config.keyserverCallDeadline());

    if (!config.proxyRoutes().isEmpty()) {
      if (proxy == null) {
        throw new StartupException("the configuration has proxy routes but no proxy was given",
            null);
      }
      ProxyRoutes.Handle handle;
      try {
        handle = proxy.start(config.proxyRoutes(), new ProxyContext(client, metrics.registry,
            config.defaultKey()));
      } catch (IllegalArgumentException e) {
        throw new StartupException("invalid proxy configuration: " + e.getMessage(), e);
      }
      resources.add(handle);
    }
    return new Running(List.copyOf(resources), httpPort, grpc.getPort(), healthPort);
  }

  private static Server grpcServer(NettyServerBuilder b, GrpcApi api,
      HealthStatusManager health, SidecarConfig config) {
    // Handlers never block (see Operations), so they run on the transport threads.
    return b.directExecutor()
        .maxInboundMessageSize(config.maxBodyBytes() + 64 * 1024)
        .addService(api)
        .addService(health.getHealthService())
        .build();
  }

  private static void stop(Server server, long graceMillis) throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
      server.shutdownNow();
    }
  }

  private static ChannelCredentials credentials(SidecarConfig config) throws StartupException {
    if (config.keyserverInsecurePlaintext()) {
      return InsecureChannelCredentials.create();
    }
    if (config.keyserverCaFile().isEmpty()) {
      return TlsChannelCredentials.create();
    }
    try {
      return TlsChannelCredentials.newBuilder()
          .trustManager(config.keyserverCaFile().get().toFile()).build();
    } catch (IOException | RuntimeException e) {
      throw new StartupException("cannot load keyserver.caFile " + config.keyserverCaFile().get()
          + " (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  private static void restrict(Path socket, String mode) throws IOException {
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString(
        mode.equals("0660") ? "rw-rw----" : "rw-------"));
  }

  /** {@code /readyz}: token readable and keyserver reached; degraded while unreachable. */
  private static HttpApi.Readiness readiness(TokenSource token, KeyserverHealth health) {
    try {
      token.token();
    } catch (RuntimeException e) {
      return new HttpApi.Readiness(false, "not_ready", "identity token file is unreadable");
    }
    if (!health.everReached()) {
      return new HttpApi.Readiness(false, "not_ready", "keyserver not reached yet");
    }
    if (!health.reachable()) {
      long seconds = Math.max(0,
          (System.currentTimeMillis() - health.unreachableSinceMillis()) / 1000);
      return new HttpApi.Readiness(false, "degraded", "keyserver unreachable for " + seconds
          + "s; serving cached data keys within their limits");
    }
    return new HttpApi.Readiness(true, "ready", null);
  }

  private record ProxyContext(KeywardClient client, PrometheusRegistry metricRegistry,
      Optional<String> defaultKey) implements ProxyRoutes.Context {}
}
