package io.keyward.cli;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.KeywardSettings;
import io.keyward.sdk.TokenSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A TLS channel to the keyserver with the operator's bearer token on every call and a deadline on
 * every stub. The token is re-read from its file per call, so a refreshed token file is picked up.
 */
final class KeyserverConnection implements AutoCloseable {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;
  private final Path tokenFile;
  private final Duration deadline;
  private final CallCredentials credentials;

  private KeyserverConnection(ManagedChannel channel, Path tokenFile, Duration deadline) {
    this.channel = channel;
    this.tokenFile = tokenFile;
    this.deadline = deadline;
    this.credentials = new FileBearer(tokenFile);
  }

  static KeyserverConnection open(GlobalOptions g) {
    String server = g.server();
    if (server == null || server.isBlank()) {
      throw CliException.usage("no keyserver address: use --server HOST:PORT or set KEYWARD_SERVER");
    }
    Path tokenFile = g.tokenFile();
    if (tokenFile == null) {
      throw new CliException(ExitCodes.NOT_AUTHORIZED,
          "not authenticated: no token file; use --token-file FILE or set KEYWARD_TOKEN_FILE");
    }
    if (!Files.isReadable(tokenFile)) {
      throw new CliException(ExitCodes.NOT_AUTHORIZED, "not authenticated: cannot read token file " + tokenFile);
    }
    HostPort hp = HostPort.parse(server);
    SslContextBuilder tls = GrpcSslContexts.forClient();
    if (g.caCert() != null) {
      if (!Files.isReadable(g.caCert())) {
        throw CliException.usage("cannot read CA certificate file " + g.caCert());
      }
      tls.trustManager(g.caCert().toFile());
    }
    try {
      ManagedChannel channel = NettyChannelBuilder.forAddress(hp.host(), hp.port())
          .sslContext(tls.build())
          .build();
      return new KeyserverConnection(channel, tokenFile, g.timeout());
    } catch (SSLException | IllegalArgumentException e) {
      throw CliException.usage("cannot use CA certificate file " + g.caCert() + " (not a PEM certificate?)");
    }
  }

  AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(credentials)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  KeyServiceGrpc.KeyServiceBlockingStub keys() {
    return KeyServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(credentials)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** An SDK client on this channel; closing it leaves the channel open. */
  KeywardClient client() {
    KeywardSettings settings = KeywardSettings.builder()
        .tokenSource(TokenSources.file(tokenFile))
        .callDeadline(deadline)
        .build();
    return KeywardClient.create(settings, channel);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code host:port} or {@code [v6]:port}. */
  record HostPort(String host, int port) {
    static HostPort parse(String s) {
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1) {
        throw CliException.usage("server must be HOST:PORT, got '" + s + "'");
      }
      String host = s.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw CliException.usage("server port must be 1..65535, got '" + s + "'");
      }
      return new HostPort(host, port);
    }
  }

  /** Reads the token file on each call; refuses to send it over a channel without TLS. */
  private static final class FileBearer extends CallCredentials {
    private final Path file;

    FileBearer(Path file) {
      this.file = file;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      executor.execute(() -> {
        try {
          String token = Files.readString(file).trim();
          if (token.isEmpty()) {
            applier.fail(Status.UNAUTHENTICATED.withDescription("token file " + file + " is empty"));
            return;
          }
          Metadata headers = new Metadata();
          headers.put(AUTHORIZATION, "Bearer " + token);
          applier.apply(headers);
        } catch (IOException e) {
          applier.fail(Status.UNAUTHENTICATED.withDescription("cannot read token file " + file));
        }
      });
    }
  }
}
