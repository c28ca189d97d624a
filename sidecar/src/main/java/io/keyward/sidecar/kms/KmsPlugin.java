package io.keyward.sidecar.kms;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running KMS v2 plugin: a gRPC server on a Unix domain socket that kube-apiserver calls, backed
 * by a keyserver reached over TLS.
 *
 * <p>The socket file is only ever reachable with mode 0600: the server binds a random name in the
 * same directory, restricts it, then renames it over the configured path in one step (which also
 * replaces a stale socket). {@link #close()} removes it, unless another plugin has replaced it.
 */
public final class KmsPlugin implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KmsPlugin.class);
  private static final Duration DRAIN = Duration.ofSeconds(5);
  private static final int MAX_INBOUND_MESSAGE = 64 * 1024;

  private final Path socket;
  private final Object socketKey;
  private final Server server;
  private final ManagedChannel keyserverChannel;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final SeedCache seeds;
  private boolean closed;

  private KmsPlugin(Path socket, Object socketKey, Server server, ManagedChannel keyserverChannel,
      EventLoopGroup boss, EventLoopGroup workers, SeedCache seeds) {
    this.socket = socket;
    this.socketKey = socketKey;
    this.server = server;
    this.keyserverChannel = keyserverChannel;
    this.boss = boss;
    this.workers = workers;
    this.seeds = seeds;
  }

  /**
   * Starts serving on {@code settings.socket()}. Fails, changing nothing, when another process
   * listens there or the path is not a socket. Does not wait for the keyserver: until it
   * answers, Status reports why and Encrypt/Decrypt fail with UNAVAILABLE.
   *
   * @throws IOException when the socket cannot be bound or secured
   */
  public static KmsPlugin start(KmsPluginSettings settings) throws IOException {
    Objects.requireNonNull(settings, "settings");
    if (!Epoll.isAvailable()) {
      throw new IOException("Unix domain sockets need Linux epoll: " + Epoll.unavailabilityCause());
    }
    Path socket = settings.socket();
    SocketFiles.prepare(socket);

    ManagedChannel channel = keyserverChannel(settings);
    KeyserverClient keyserver = new KeyserverClient(
        channel, settings.keyName(), settings.tokenSource(), settings.callDeadline(), settings.clock());
    KeyState state = new KeyState(keyserver, settings.clock(), settings.stateMaxAge());
    HealthCheck health = new HealthCheck(keyserver, state, settings.clock(), settings.stateMaxAge());
    SeedCache seeds = new SeedCache(settings.seedCacheMaxEntries(), settings.seedCacheTtl(), settings.clock());
    KmsService service = new KmsService(keyserver, state, health, seeds);

    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    Path staging = SocketFiles.stagingName(socket, HexFormat.of().formatHex(random));
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    Server server = null;
    try {
      server = NettyServerBuilder.forAddress(new DomainSocketAddress(staging.toString()))
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(boss)
          .workerEventLoopGroup(workers)
          .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
          // gRPC sets TCP keep-alive on every server; a Unix socket has none (null removes it).
          .withChildOption(ChannelOption.SO_KEEPALIVE, null)
          .addService(service)
          .addService(new HealthStatusManager().getHealthService())
          .build()
          .start();
      Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-------"));
      if (SocketFiles.isLive(socket)) { // someone started in between: leave theirs alone
        throw new IOException("another process started listening on " + socket);
      }
      Files.move(staging, socket, StandardCopyOption.ATOMIC_MOVE);
      Object key = SocketFiles.fileKey(socket);
      LOG.info("KMS v2 plugin listening on {} for key {} (keyserver {})", socket, settings.keyName(),
          settings.keyserverAddress());
      return new KmsPlugin(socket, key, server, channel, boss, workers, seeds);
    } catch (IOException | RuntimeException e) {
      if (server != null) {
        server.shutdownNow();
      }
      Files.deleteIfExists(staging);
      channel.shutdownNow();
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  private static ManagedChannel keyserverChannel(KmsPluginSettings settings) throws IOException {
    ChannelCredentials credentials;
    if (settings.caCertificate().isPresent()) {
      credentials = TlsChannelCredentials.newBuilder().trustManager(settings.caCertificate().get().toFile()).build();
    } else {
      credentials = TlsChannelCredentials.create();
    }
    return NettyChannelBuilder.forTarget(settings.keyserverAddress(), credentials).build();
  }

  /** The socket path kube-apiserver connects to. */
  public Path socket() {
    return socket;
  }

  /** Seeds currently cached (for tests and diagnostics; never the seeds themselves). */
  long cachedSeeds() {
    return seeds.size();
  }

  /** Blocks until {@link #close()} has stopped the server. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops accepting calls, lets running ones finish (a few seconds at most), removes the socket. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    try {
      if (!server.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    removeOwnSocket();
    keyserverChannel.shutdownNow();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    LOG.info("KMS v2 plugin stopped; socket {} removed", socket);
  }

  private void removeOwnSocket() {
    try {
      if (socketKey != null && socketKey.equals(SocketFiles.fileKey(socket))) {
        Files.deleteIfExists(socket);
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      LOG.warn("could not remove socket {}: {}", socket, e.getClass().getSimpleName());
    }
  }
}
