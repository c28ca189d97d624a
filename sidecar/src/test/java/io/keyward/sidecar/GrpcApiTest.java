package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.keyward.sidecar.api.v1.BatchDecryptRequest;
import io.keyward.sidecar.api.v1.BatchDecryptResponse;
import io.keyward.sidecar.api.v1.BatchEncryptRequest;
import io.keyward.sidecar.api.v1.BatchEncryptResponse;
import io.keyward.sidecar.api.v1.DecryptRequest;
import io.keyward.sidecar.api.v1.EncryptRequest;
import io.keyward.sidecar.api.v1.EncryptResponse;
import io.keyward.sidecar.api.v1.SidecarServiceGrpc;
import io.keyward.sidecar.api.v1.SidecarServiceGrpc.SidecarServiceBlockingStub;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC API on loopback TCP and on a Unix socket, and HTTP on a Unix socket. */
class GrpcApiTest {
  @TempDir static Path dir;
  static SidecarFixture f;
  static Path grpcSocket;
  static Path httpSocket;

  @BeforeAll
  static void start() throws Exception {
    grpcSocket = dir.resolve("grpc.sock");
    httpSocket = dir.resolve("http.sock");
    f = SidecarFixture.start(dir, "", List.of("--grpc-unix-socket", grpcSocket.toString(),
        "--http-unix-socket=" + httpSocket), "a-payments", "b-private");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static void roundTripAndErrors(SidecarServiceBlockingStub stub) {
    EncryptResponse enc = stub.encrypt(EncryptRequest.newBuilder().setKey("a-payments")
        .setPlaintext(ByteString.copyFromUtf8("secret")).putContext("k", "v").build());
    assertEquals("a-payments", enc.getKey());
    assertEquals(1, enc.getVersion());
    assertTrue(enc.getCiphertext().startsWith("kw1."));
    assertEquals("secret", stub.decrypt(DecryptRequest.newBuilder()
        .setCiphertext(enc.getCiphertext()).putContext("k", "v").build())
        .getPlaintext().toStringUtf8());

    StatusRuntimeException mismatch = assertThrows(StatusRuntimeException.class, () ->
        stub.decrypt(DecryptRequest.newBuilder().setCiphertext(enc.getCiphertext())
            .putContext("k", "other").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, mismatch.getStatus().getCode());
    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () ->
        stub.encrypt(EncryptRequest.newBuilder().setKey("a-missing").build()));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () ->
        stub.encrypt(EncryptRequest.newBuilder().setKey("b-private").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    StatusRuntimeException noKey = assertThrows(StatusRuntimeException.class, () ->
        stub.encrypt(EncryptRequest.newBuilder().build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, noKey.getStatus().getCode());

    BatchEncryptResponse batch = stub.batchEncrypt(BatchEncryptRequest.newBuilder()
        .addItems(EncryptRequest.newBuilder().setKey("a-payments")
            .setPlaintext(ByteString.copyFromUtf8("one")))
        .addItems(EncryptRequest.newBuilder().setKey("b-private"))
        .build());
    assertEquals(2, batch.getResultsCount());
    assertTrue(batch.getResults(0).hasOk());
    assertEquals("permission_denied", batch.getResults(1).getError().getCode());
    assertEquals(Status.Code.PERMISSION_DENIED.value(), batch.getResults(1).getError().getStatus());
    BatchDecryptResponse dec = stub.batchDecrypt(BatchDecryptRequest.newBuilder()
        .addItems(DecryptRequest.newBuilder().setCiphertext("garbage"))
        .addItems(DecryptRequest.newBuilder()
            .setCiphertext(batch.getResults(0).getOk().getCiphertext()))
        .build());
    assertEquals("malformed_ciphertext", dec.getResults(0).getError().getCode());
    assertEquals("one", dec.getResults(1).getOk().getPlaintext().toStringUtf8());
  }

  @Test
  void overLoopbackTcp() throws Exception {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", f.sidecar.grpcPort())
        .usePlaintext().build();
    try {
      roundTripAndErrors(SidecarServiceGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS));
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void overUnixSocketWithOwnerOnlyMode() throws Exception {
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(grpcSocket)));
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(grpcSocket.toFile()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    try {
      roundTripAndErrors(SidecarServiceGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS));
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully().sync();
    }
  }

  @Test
  void httpOverUnixSocket() throws Exception {
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(httpSocket)));
    try (SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.connect(UnixDomainSocketAddress.of(httpSocket));
      s.write(ByteBuffer.wrap(
          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(4096);
      while (s.read(buf) >= 0) {
        // read until the server closes
      }
      String reply = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.contains("{\"status\":\"ok\"}"), reply);
    }
  }
}
