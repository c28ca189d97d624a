package io.keyward.sdk;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.keyward.testing.FakeClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a {@link FakeKeyserver} behind an in-process gRPC server that checks the
 * bearer token, a channel to it, and clients that are all closed after each test.
 */
final class InProcessKeyserver implements BeforeEachCallback, AfterEachCallback {
  static final String TOKEN = "test-token.v1";
  static final String KEY = "payments";

  final FakeClock clock = FakeClock.startingAt2026();
  FakeKeyserver fake;
  private Server server;
  private ManagedChannel channel;
  private final List<KeywardClient> clients = new ArrayList<>();
  volatile String acceptedToken = TOKEN;

  @Override
  public void beforeEach(ExtensionContext context) {
    fake = new FakeKeyserver();
    fake.createKey(KEY);
    String name = InProcessServerBuilder.generateName();
    ServerInterceptor auth = requireBearer(() -> acceptedToken);
    try {
      server = InProcessServerBuilder.forName(name)
          .addService(ServerInterceptors.intercept(fake, auth))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** Closes every call whose {@code authorization} is not {@code Bearer <expected>}. */
  static ServerInterceptor requireBearer(java.util.function.Supplier<String> expected) {
    Metadata.Key<String> authorization =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (!("Bearer " + expected.get()).equals(headers.get(authorization))) {
          call.close(Status.UNAUTHENTICATED.withDescription("bad token"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** A client with test defaults (token, default key, fake clock), adjusted by {@code custom}. */
  KeywardClient client(Consumer<KeywardSettings.Builder> custom) {
    KeywardSettings.Builder b = KeywardSettings.builder()
        .tokenSource(TokenSources.fixed(TOKEN))
        .defaultKeyName(KEY)
        .clock(clock);
    custom.accept(b);
    KeywardClient client = KeywardClient.create(b.build(), channel);
    clients.add(client);
    return client;
  }

  KeywardClient client() {
    return client(b -> {});
  }

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    clients.forEach(KeywardClient::close);
    for (CountDownLatch gate : new CountDownLatch[] {fake.generateGate, fake.decryptGate}) {
      if (gate != null) {
        gate.countDown();
      }
    }
    channel.shutdownNow();
    server.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}
