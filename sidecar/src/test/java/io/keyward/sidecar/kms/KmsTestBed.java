package io.keyward.sidecar.kms;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.PutPolicyRequest;
import io.keyward.keyserver.NetworkKeyserver;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.kms.v2.KeyManagementServiceGrpc;
import io.keyward.sdk.TokenSources;
import io.keyward.testing.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real TLS keyserver (policy: {@link TestKeyserver#POLICY} plus {@link #KMS_RULE}), a key for
 * the plugin, and plugins started on Unix sockets in a temp dir, with gRPC clients over those
 * sockets. The plugin's caches run on a {@link FakeClock}; the keyserver on the real clock.
 */
final class KmsTestBed implements AutoCloseable {
  static final String KEY = "k8s-secrets";
  static final String KMS_NAMESPACE = "kube-system";
  static final String KMS_ACCOUNT = "keyward-kms";
  /** The rule docs/kms-plugin.md tells operators to add. */
  static final String KMS_RULE = """
        - name: kube-apiserver-kms
          match:
            subject: "system:serviceaccount:kube-system:keyward-kms"
          keys: ["k8s-secrets"]
          operations: [encrypt, decrypt, read-key]
      """;

  final Path dir;
  final NetworkKeyserver keyserver;
  final FakeClock clock = new FakeClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final ManagedChannel adminChannel;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final EventLoopGroup clientGroup = new EpollEventLoopGroup(1);

  KmsTestBed(Path dir) throws Exception {
    this.dir = dir;
    Path ksDir = Files.createDirectories(dir.resolve("ks"));
    this.keyserver = NetworkKeyserver.start(ksDir);
    this.adminChannel = NettyChannelBuilder.forAddress("localhost", keyserver.port())
        .sslContext(GrpcSslContexts.forClient().trustManager(keyserver.caCertificate().toFile()).build())
        .build();
    admin().putPolicy(PutPolicyRequest.newBuilder().setDocument(TestKeyserver.POLICY + KMS_RULE).build());
    admin().createKey(CreateKeyRequest.newBuilder().setName(KEY).build());
  }

  AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(adminChannel)
        .withCallCredentials(TestKeyserver.bearer(keyserver.adminToken()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** KeyService as the admin (who may use every key and context). */
  KeyServiceGrpc.KeyServiceBlockingStub adminKeys() {
    return KeyServiceGrpc.newBlockingStub(adminChannel)
        .withCallCredentials(TestKeyserver.bearer(keyserver.adminToken()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  Path socket(String name) {
    return dir.resolve("run").resolve(name);
  }

  KmsPluginSettings.Builder settings(Path socket) throws Exception {
    return settings(socket, keyserver.tokenFor(KMS_NAMESPACE, KMS_ACCOUNT));
  }

  KmsPluginSettings.Builder settings(Path socket, String token) throws Exception {
    Path tokenFile = dir.resolve("token-" + socket.getFileName());
    Files.writeString(tokenFile, token);
    return KmsPluginSettings.builder()
        .socket(socket)
        .keyName(KEY)
        .keyserverAddress(keyserver.address())
        .caCertificate(keyserver.caCertificate())
        .tokenSource(TokenSources.file(tokenFile))
        .clock(clock);
  }

  KmsPlugin start(KmsPluginSettings settings) throws Exception {
    KmsPlugin plugin = KmsPlugin.start(settings);
    toClose.add(plugin);
    return plugin;
  }

  KmsPlugin start() throws Exception {
    return start(settings(socket("kms.sock")).build());
  }

  /** A KMS v2 client over the plugin's Unix socket, as kube-apiserver connects. */
  KeyManagementServiceGrpc.KeyManagementServiceBlockingStub client(Path socket) {
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(clientGroup)
        .withOption(ChannelOption.SO_KEEPALIVE, null) // TCP-only; quiets Netty's warning
        .usePlaintext()
        .build();
    toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return KeyManagementServiceGrpc.newBlockingStub(channel);
  }

  @Override
  public void close() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    adminChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    keyserver.close();
  }
}
