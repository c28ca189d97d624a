package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.keyserver.config.ConfigException;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rootkey.RootKeyException;
import io.keyward.keyserver.rootkey.RootKeyRotation;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root-key rotation as an operator runs it against the real launcher: a server configured with
 * the new key and {@code rootKey.previousFile} serves a store part-way through the rotation, the
 * rotation finishes while it runs, and afterwards the new key alone serves everything while the old
 * key alone is refused.
 */
class RootKeyRotationServerTest {
  @TempDir Path dir;

  private final TestTokenIssuer issuer = TestTokenIssuer.create(TestKeyserver.ISSUER);

  private ServerConfig config(String rootKey, String previous, boolean create) throws Exception {
    issuer.writeJwks(dir.resolve("jwks.json"));
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
    List<String> lines = new ArrayList<>(List.of(
        "listen: 127.0.0.1:0",
        "metricsListen: \"\"",
        "insecureDev: true",
        "store: sqlite:" + dir.resolve("keyward.db"),
        "rootKey:",
        "  file: " + dir.resolve(rootKey),
        "  createIfMissing: " + create));
    if (previous != null) {
      lines.add("  previousFile: " + dir.resolve(previous));
    }
    lines.addAll(List.of(
        "identity:",
        "  audience: keyward",
        "  issuers:",
        "    - issuer: " + TestKeyserver.ISSUER,
        "      jwksFile: " + dir.resolve("jwks.json"),
        "policyFile: " + dir.resolve("policy.yaml"),
        "shutdownGracePeriod: 1s",
        ""));
    Path file = Files.writeString(dir.resolve("keyward-" + System.nanoTime() + ".yaml"), String.join("\n", lines));
    return ServerConfig.load(Optional.of(file), Map.of(), List.of());
  }

  /** A started server and a plaintext channel to it. */
  private record Server(KeyserverLauncher.Running running, ManagedChannel channel) implements AutoCloseable {
    static Server start(ServerConfig config) throws Exception {
      KeyserverLauncher.Running running = KeyserverLauncher.start(config, Clock.systemUTC());
      return new Server(running, NettyChannelBuilder.forAddress("127.0.0.1", running.grpcPort()).usePlaintext().build());
    }

    KeyServiceGrpc.KeyServiceBlockingStub keys(String token) {
      return KeyServiceGrpc.newBlockingStub(channel).withCallCredentials(TestKeyserver.bearer(token))
          .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    AdminServiceGrpc.AdminServiceBlockingStub admin(String token) {
      return AdminServiceGrpc.newBlockingStub(channel).withCallCredentials(TestKeyserver.bearer(token))
          .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      running.close();
    }
  }

  private List<String> undecryptable(Server server, List<GenerateDataKeyResponse> issued) {
    List<String> failures = new ArrayList<>();
    for (GenerateDataKeyResponse r : issued) {
      try {
        if (!server.keys(issuer.kubernetesToken("a", "app")).decryptDataKey(
            DecryptDataKeyRequest.newBuilder().setWrappedDataKey(r.getWrappedDataKey()).build())
            .getPlaintextDataKey().equals(r.getPlaintextDataKey())) {
          failures.add("v" + r.getKeyVersion() + ": other bytes");
        }
      } catch (io.grpc.StatusRuntimeException e) {
        failures.add("v" + r.getKeyVersion() + ": " + e.getStatus().getCode());
      }
    }
    return failures;
  }

  private GenerateDataKeyResponse issueAfterRotation(Server server) {
    server.admin(issuer.kubernetesToken("ops", "admin"))
        .rotateKey(RotateKeyRequest.newBuilder().setName("a-docs").build());
    return server.keys(issuer.kubernetesToken("a", "app"))
        .generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName("a-docs").build());
  }

  @Test
  void aServerWithBothKeysServesAStoreMidRotationAndTheNewKeyAloneAfterwards() throws Exception {
    List<GenerateDataKeyResponse> issued = new ArrayList<>();
    try (Server server = Server.start(config("old.key", null, true))) {
      server.admin(issuer.kubernetesToken("ops", "admin")).createKey(CreateKeyRequest.newBuilder().setName("a-docs").build());
      for (int i = 0; i < 4; i++) {
        issued.add(issueAfterRotation(server));
      }
    }
    FileRootKey.createIfMissing(dir.resolve("new.key")).close();
    try (JdbcKeyStore store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
        FileRootKey oldKey = FileRootKey.load(dir.resolve("old.key"));
        FileRootKey newKey = FileRootKey.load(dir.resolve("new.key"))) {
      // Interrupted after two secrets: the store now holds secrets under both keys.
      assertThrows(KeyserverException.class,
          () -> RootKeyRotation.rotate(store, oldKey, new FailingAfter(newKey, 2)));
    }

    try (Server server = Server.start(config("new.key", "old.key", false))) {
      assertEquals(List.of(), undecryptable(server, issued));
      issued.add(issueAfterRotation(server)); // wrapped under the new key only
      try (JdbcKeyStore store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
          FileRootKey oldKey = FileRootKey.load(dir.resolve("old.key"));
          FileRootKey newKey = FileRootKey.load(dir.resolve("new.key"))) {
        assertEquals(newKey.id(),
            store.findKey("a-docs").orElseThrow().primary().wrappedSecret().orElseThrow().rootKeyId());
        RootKeyRotation.Result done = RootKeyRotation.rotate(store, oldKey, newKey); // online
        assertEquals(3, done.rewrapped());
      }
      assertEquals(List.of(), undecryptable(server, issued));
    }

    try (Server server = Server.start(config("new.key", null, false))) {
      assertEquals(List.of(), undecryptable(server, issued));
    }
    KeyserverLauncher.StartupException retired = assertThrows(KeyserverLauncher.StartupException.class,
        () -> Server.start(config("old.key", null, false)).close());
    assertTrue(retired.getMessage().contains("does not open this store"), retired.getMessage());
  }

  @Test
  void previousKeyAndPkcs11SettingsAreParsedAndChecked() throws Exception {
    ServerConfig rotating = config("new.key", "old.key", true);
    assertEquals(Optional.of(dir.resolve("old.key")), rotating.rootKey().previousFile());
    Path p11 = Files.writeString(dir.resolve("p11.cfg"), "name = x\nlibrary = /nonexistent.so\n");
    List<String> base = List.of("--insecure-dev", "--store", "sqlite:" + dir.resolve("x.db"),
        "--root-key-pkcs11-config", p11.toString());
    Path file = Files.writeString(dir.resolve("issuers.yaml"), String.join("\n",
        "identity:", "  issuers:", "    - issuer: " + TestKeyserver.ISSUER,
        "      jwksFile: " + dir.resolve("jwks.json"), ""));
    ConfigException noPin = assertThrows(ConfigException.class,
        () -> ServerConfig.load(Optional.of(file), Map.of(), base));
    assertTrue(noPin.getMessage().contains("rootKey.pkcs11PinEnv"), noPin.getMessage());
    List<String> withPin = new ArrayList<>(base);
    withPin.addAll(List.of("--root-key-pkcs11-pin-env", "HSM_PIN"));
    ConfigException unset = assertThrows(ConfigException.class,
        () -> ServerConfig.load(Optional.of(file), Map.of(), withPin));
    assertTrue(unset.getMessage().contains("HSM_PIN"), unset.getMessage());
    ServerConfig hsm = ServerConfig.load(Optional.of(file), Map.of("HSM_PIN", "1234-secret"), withPin);
    assertEquals(new ServerConfig.Pkcs11Key(p11, "keyward-root", "HSM_PIN"), hsm.rootKey().source());
    assertTrue(!hsm.toString().contains("1234-secret"), "the PIN must not reach toString()");
  }

  /** The new key, failing like a crashed process after {@code limit} wraps. */
  private static final class FailingAfter implements RootKey {
    private final RootKey delegate;
    private final int limit;
    private final AtomicInteger wraps = new AtomicInteger();

    FailingAfter(RootKey delegate, int limit) {
      this.delegate = delegate;
      this.limit = limit;
    }

    @Override
    public String id() {
      return delegate.id();
    }

    @Override
    public byte[] wrap(byte[] plaintext, byte[] aad) {
      if (wraps.incrementAndGet() > limit) {
        throw KeyserverException.unavailable("simulated crash", null);
      }
      return delegate.wrap(plaintext, aad);
    }

    @Override
    public byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
      return delegate.unwrap(wrapped, aad);
    }

    @Override
    public void close() {}
  }
}
