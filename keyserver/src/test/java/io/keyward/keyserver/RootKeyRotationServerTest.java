package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
import io.keyward.keyserver.rootkey.PassphraseRootKey;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rootkey.RootKeyException;
import io.keyward.keyserver.rootkey.RootKeyRing;
import io.keyward.keyserver.rootkey.RootKeyRotation;
import io.keyward.keyserver.rootkey.RootKeyRotationMain;
import io.keyward.keyserver.rootkey.RotationChecks;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.Stores;
import io.keyward.testing.FakeClock;
import io.keyward.testing.TestTokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Root-key rotation with real keyservers: data keys issued before keep unwrapping after every
 * interruption (under whichever key alone opens the store then); keyservers keep serving while the
 * rotation runs beside them; a keyserver holding both keys serves through the swap, one holding
 * only the old key keeps its cached secrets and refuses clearly instead of writing under a retired
 * key; and the launcher's configuration takes a previous key of every kind.
 */
class RootKeyRotationServerTest {
  private static final String PASSPHRASE = "correct horse battery staple";

  @TempDir Path dir;

  private final FakeClock clock = FakeClock.startingAt2026();
  private final TestTokenIssuer issuer =
      TestTokenIssuer.builder().issuer(TestKeyserver.ISSUER).clock(clock).build();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private String location(String kind) {
    return RotationChecks.location(kind, dir, open);
  }

  private StoreKeyserver server(String location, Supplier<RootKey> key) throws Exception {
    issuer.writeJwks(dir.resolve("jwks.json"));
    StoreKeyserver server = StoreKeyserver.start(location, key.get(), clock, issuer, dir.resolve("jwks.json"));
    open.add(server);
    return server;
  }

  private Supplier<RootKey> file(String name) {
    return () -> {
      try {
        return FileRootKey.createIfMissing(dir.resolve(name));
      } catch (RootKeyException e) {
        throw new AssertionError(e);
      }
    };
  }

  private static GenerateDataKeyResponse issue(StoreKeyserver server, String key) {
    return server.keys("a").generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName(key).build());
  }

  private static void rotateKey(StoreKeyserver server, String key) {
    server.admin().rotateKey(RotateKeyRequest.newBuilder().setName(key).build());
  }

  private static List<String> undecryptable(
      KeyServiceGrpc.KeyServiceBlockingStub keys, Iterable<GenerateDataKeyResponse> issued) {
    List<String> failures = new ArrayList<>();
    for (GenerateDataKeyResponse r : issued) {
      try {
        if (!keys.decryptDataKey(DecryptDataKeyRequest.newBuilder().setWrappedDataKey(r.getWrappedDataKey()).build())
            .getPlaintextDataKey().equals(r.getPlaintextDataKey())) {
          failures.add(r.getKeyName() + " v" + r.getKeyVersion() + ": other bytes");
        }
      } catch (StatusRuntimeException e) {
        failures.add(r.getKeyName() + " v" + r.getKeyVersion() + ": " + e.getStatus().getCode());
      }
    }
    return failures;
  }

  /** Opens the store with {@code key} alone and checks what the start-up check says. */
  private static Optional<String> refusal(String location, Supplier<RootKey> key) {
    try (JdbcKeyStore store = Stores.open(location); RootKey k = key.get()) {
      return RotationChecks.refusal(store, k);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void dataKeysIssuedBeforeStillUnwrapAfterEveryInterruption(String kind) throws Exception {
    String location = location(kind);
    List<GenerateDataKeyResponse> issued = new ArrayList<>();
    try (StoreKeyserver old = StoreKeyserver.start(location, file("old.key").get(), clock, issuerWithJwks(),
        dir.resolve("jwks.json"))) {
      for (String key : List.of("a-docs", "a-mail", "shared")) {
        old.admin().createKey(CreateKeyRequest.newBuilder().setName(key).build());
        for (int v = 0; v < 3; v++) {
          issued.add(issue(old, key));
          rotateKey(old, key);
        }
      }
    }
    file("new.key").get().close();
    // Interrupt: mid-batch, between batches, before the swap, after the swap. Between interruptions
    // a keyserver with the key that opens the store serves every data key and issues new ones.
    List<RootKeyRotation.Phase> crashes = List.of(RootKeyRotation.Phase.VERSION_REWRAPPED,
        RootKeyRotation.Phase.BATCH_STORED, RootKeyRotation.Phase.BACKFILLED,
        RootKeyRotation.Phase.SWAPPED);
    for (RootKeyRotation.Phase crash : crashes) {
      try (JdbcKeyStore store = Stores.open(location); RootKey oldKey = file("old.key").get();
          RootKey newKey = file("new.key").get()) {
        AtomicInteger seen = new AtomicInteger();
        int at = crash == RootKeyRotation.Phase.VERSION_REWRAPPED ? 3 : 1; // 3: in the second batch
        assertThrows(IllegalStateException.class, () -> RootKeyRotation.rotate(store, oldKey, newKey, 2,
            (phase, count) -> {
              if (phase == crash && seen.incrementAndGet() == at) {
                throw new IllegalStateException("simulated crash at " + phase);
              }
            }));
      }
      boolean swapped = crash == RootKeyRotation.Phase.SWAPPED;
      Supplier<RootKey> opener = file(swapped ? "new.key" : "old.key");
      Supplier<RootKey> other = file(swapped ? "old.key" : "new.key");
      String refused = refusal(location, other).orElseThrow(() -> new AssertionError("both keys open after " + crash));
      assertTrue(refused.contains(swapped ? "was retired" : "is in progress and has not finished"), refused);
      try (StoreKeyserver server = StoreKeyserver.start(location, opener.get(), clock, issuerWithJwks(),
          dir.resolve("jwks.json"))) {
        assertEquals(List.of(), undecryptable(server.keys("a"), issued), "after a crash at " + crash);
        rotateKey(server, "a-docs"); // a version added mid-rotation, without a new wrap
        issued.add(issue(server, "a-docs"));
      }
    }
    try (StoreKeyserver server = StoreKeyserver.start(location, file("new.key").get(), clock, issuerWithJwks(),
        dir.resolve("jwks.json"))) {
      assertEquals(List.of(), undecryptable(server.keys("a"), issued));
    }
  }

  private TestTokenIssuer issuerWithJwks() throws Exception {
    issuer.writeJwks(dir.resolve("jwks.json"));
    return issuer;
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void keyserversKeepServingWhileARotationRunsBesideThem(String kind) throws Exception {
    String location = location(kind);
    file("new.key").get().close();
    StoreKeyserver oldOnly = server(location, file("old.key"));
    for (int k = 0; k < 6; k++) {
      oldOnly.admin().createKey(CreateKeyRequest.newBuilder().setName("a-" + k).build());
      rotateKey(oldOnly, "a-" + k);
    }
    StoreKeyserver both = server(location, () -> RootKeyRing.of(file("new.key").get(), file("old.key").get()));
    ConcurrentLinkedQueue<GenerateDataKeyResponse> issued = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger rotations = new AtomicInteger();
    ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    List<Thread> load = new ArrayList<>();
    for (StoreKeyserver server : List.of(oldOnly, both)) {
      load.add(new Thread(() -> {
        for (int i = 0; running.get(); i++) {
          String key = "a-" + (i % 6);
          try {
            if (i % 3 == 0) {
              rotateKey(server, key);
              rotations.incrementAndGet();
            }
            issued.add(issue(server, key));
          } catch (StatusRuntimeException e) {
            // After the swap the old-key-only server refuses what needs the new key (checked below).
            if (server != oldOnly || e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
              unexpected.add((server == both ? "both keys: " : "old key: ") + e.getStatus());
            }
          } catch (RuntimeException e) {
            unexpected.add(e.toString());
          }
        }
      }));
    }
    load.forEach(Thread::start);
    RootKeyRotation.Result result;
    try (JdbcKeyStore store = Stores.open(location); RootKey oldKey = file("old.key").get();
        RootKey newKey = file("new.key").get()) {
      AtomicInteger batches = new AtomicInteger();
      result = RootKeyRotation.rotate(store, oldKey, newKey, 3, (phase, count) -> {
        if (phase == RootKeyRotation.Phase.BATCH_STORED && batches.incrementAndGet() % 3 == 0) {
          int seen = rotations.get(); // let the replicas add versions between batches
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (rotations.get() < seen + 2 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
          }
        }
      });
    }
    int afterSwap = issued.size();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (issued.size() < afterSwap + 20 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    running.set(false);
    for (Thread t : load) {
      t.join(30_000);
      assertFalse(t.isAlive());
    }
    assertEquals(List.of(), List.copyOf(unexpected));
    assertFalse(result.alreadyDone());
    assertTrue(result.versions() > 12, "versions swapped: " + result.versions());
    assertTrue(issued.size() > afterSwap, "no data key issued after the swap");

    // The server holding both keys keeps rotating and issuing under the new key.
    rotateKey(both, "a-1");
    issued.add(issue(both, "a-1"));
    // The one holding only the old key still serves what it had unwrapped, refuses to write a
    // version under the retired key, and says so.
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> rotateKey(oldOnly, "a-2"));
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("does not hold the store's root key"),
        refused.getStatus().getDescription());
    try (JdbcKeyStore store = Stores.open(location); RootKey newKey = file("new.key").get()) {
      List<String> notUnderNewKey = new ArrayList<>();
      for (KeyRecord key : store.listKeys()) {
        key.versions().forEach(v -> v.wrappedSecret()
            .filter(w -> !w.rootKeyId().equals(newKey.id()))
            .ifPresent(w -> notUnderNewKey.add(key.name() + " v" + v.version())));
      }
      assertEquals(List.of(), notUnderNewKey);
    }
    oldOnly.close();
    both.close();
    assertTrue(refusal(location, file("old.key")).orElseThrow().contains("was retired"));
    try (StoreKeyserver fresh = StoreKeyserver.start(location, file("new.key").get(), clock, issuerWithJwks(),
        dir.resolve("jwks.json"))) {
      assertEquals(List.of(), undecryptable(fresh.keys("a"), issued), issued.size() + " data keys");
    }
  }

  // ---- the launcher, with a real configuration file

  private ServerConfig config(List<String> rootKey) throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
    List<String> lines = new ArrayList<>(List.of(
        "listen: 127.0.0.1:0",
        "metricsListen: \"\"",
        "insecureDev: true",
        "store: sqlite:" + dir.resolve("keyward.db"),
        "rootKey:"));
    rootKey.forEach(line -> lines.add("  " + line));
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

  /** A started launcher and a plaintext channel to it, with tokens on the real clock. */
  private record Server(KeyserverLauncher.Running running, ManagedChannel channel, TestTokenIssuer issuer)
      implements AutoCloseable {
    static Server start(ServerConfig config, TestTokenIssuer issuer) throws Exception {
      KeyserverLauncher.Running running = KeyserverLauncher.start(config, Clock.systemUTC());
      return new Server(running, NettyChannelBuilder.forAddress("127.0.0.1", running.grpcPort()).usePlaintext().build(),
          issuer);
    }

    KeyServiceGrpc.KeyServiceBlockingStub keys() {
      return KeyServiceGrpc.newBlockingStub(channel).withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("a", "app")))
          .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    AdminServiceGrpc.AdminServiceBlockingStub admin() {
      return AdminServiceGrpc.newBlockingStub(channel).withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
          .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    GenerateDataKeyResponse rotateAndIssue() {
      admin().rotateKey(RotateKeyRequest.newBuilder().setName("a-docs").build());
      return keys().generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName("a-docs").build());
    }

    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      running.close();
    }
  }

  private static int cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    return RootKeyRotationMain.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @Test
  void anOnlineRotationAwayFromAPassphraseThroughTheLauncherAndTheCommandLine() throws Exception {
    TestTokenIssuer realClock = TestTokenIssuer.create(TestKeyserver.ISSUER);
    Path passphrase = Files.writeString(dir.resolve("old.passphrase"), PASSPHRASE + "\n");
    Files.setPosixFilePermissions(passphrase, PosixFilePermissions.fromString("rw-------"));
    FileRootKey.createIfMissing(dir.resolve("new.key")).close();
    String store = "sqlite:" + dir.resolve("keyward.db");
    List<String> oldOnly = List.of("passphraseFile: " + passphrase);
    List<String> newOnly = List.of("file: " + dir.resolve("new.key"));
    List<String> both = List.of("file: " + dir.resolve("new.key"), "previousPassphraseFile: " + passphrase);
    List<GenerateDataKeyResponse> issued = new ArrayList<>();

    try (Server old = Server.start(configWith(realClock, oldOnly), realClock)) {
      old.admin().createKey(CreateKeyRequest.newBuilder().setName("a-docs").build());
      for (int i = 0; i < 3; i++) {
        issued.add(old.rotateAndIssue());
      }
      try (Server ring = Server.start(configWith(realClock, both), realClock)) {
        // An interrupted run: the new key alone is refused, saying why and how to finish.
        try (JdbcKeyStore s = Stores.open(store);
            RootKey oldKey = PassphraseRootKey.fromFile(passphrase, s);
            RootKey newKey = FileRootKey.load(dir.resolve("new.key"))) {
          assertThrows(IllegalStateException.class, () -> RootKeyRotation.rotate(s, oldKey, newKey, 1,
              (phase, count) -> {
                if (phase == RootKeyRotation.Phase.BATCH_STORED && count == 2) {
                  throw new IllegalStateException("simulated crash");
                }
              }));
        }
        KeyserverLauncher.StartupException inProgress = assertThrows(KeyserverLauncher.StartupException.class,
            () -> Server.start(configWith(realClock, newOnly), realClock).close());
        assertTrue(inProgress.getMessage().contains("is in progress and has not finished"), inProgress.getMessage());
        assertTrue(inProgress.getMessage().contains("keyward root-key rotate"), inProgress.getMessage());
        issued.add(old.rotateAndIssue());
        issued.add(ring.rotateAndIssue());

        // The command line finishes it while both servers run.
        assertEquals(0, cli("rotate", "--store", store, "--old-passphrase-file", passphrase.toString(),
            "--new-key-file", dir.resolve("new.key").toString(), "--batch-size", "2"));
        assertEquals(List.of(), undecryptable(ring.keys(), issued));
        // The old-key-only server still serves the versions it made (their secrets are cached).
        assertEquals(List.of(), undecryptable(old.keys(), issued.subList(0, 4)));
        issued.add(ring.rotateAndIssue());
        StatusRuntimeException stale = assertThrows(StatusRuntimeException.class, old::rotateAndIssue);
        assertEquals(Status.Code.UNAVAILABLE, stale.getStatus().getCode());
      }
    }
    try (Server server = Server.start(configWith(realClock, newOnly), realClock)) {
      assertEquals(List.of(), undecryptable(server.keys(), issued));
    }
    KeyserverLauncher.StartupException retired = assertThrows(KeyserverLauncher.StartupException.class,
        () -> Server.start(configWith(realClock, oldOnly), realClock).close());
    assertTrue(retired.getMessage().contains("was retired by a root-key rotation"), retired.getMessage());
  }

  private ServerConfig configWith(TestTokenIssuer tokens, List<String> rootKey) throws Exception {
    tokens.writeJwks(dir.resolve("jwks.json"));
    return config(rootKey);
  }

  @Test
  void previousKeysOfEveryKindAreParsedAndChecked() throws Exception {
    issuer.writeJwks(dir.resolve("jwks.json"));
    Path p11 = Files.writeString(dir.resolve("p11.cfg"), "name = x\nlibrary = /nonexistent.so\n");
    Path issuers = Files.writeString(dir.resolve("issuers.yaml"), String.join("\n",
        "identity:", "  issuers:", "    - issuer: " + TestKeyserver.ISSUER,
        "      jwksFile: " + dir.resolve("jwks.json"), ""));
    List<String> base = List.of("--insecure-dev", "--store", "sqlite:" + dir.resolve("x.db"),
        "--root-key-file", dir.resolve("new.key").toString());
    Map<String, String> env = Map.of("OLD_PASS", "not in the config", "HSM_PIN", "1234-secret");
    Map<List<String>, ServerConfig.RootKeySource> cases = Map.of(
        List.of("--root-key-previous-file", "/keys/old.key"), new ServerConfig.KeyFile(Path.of("/keys/old.key")),
        List.of("--root-key-previous-passphrase-env", "OLD_PASS"), new ServerConfig.PassphraseEnv("OLD_PASS"),
        List.of("--root-key-previous-passphrase-file", "/keys/old.pass"),
        new ServerConfig.PassphraseFile(Path.of("/keys/old.pass")),
        List.of("--root-key-previous-pkcs11-config", p11.toString(), "--root-key-previous-pkcs11-key-label", "old",
            "--root-key-previous-pkcs11-pin-env", "HSM_PIN"),
        new ServerConfig.Pkcs11Key(p11, "old", "HSM_PIN"));
    for (Map.Entry<List<String>, ServerConfig.RootKeySource> c : cases.entrySet()) {
      List<String> flags = new ArrayList<>(base);
      flags.addAll(c.getKey());
      ServerConfig config = ServerConfig.load(Optional.of(issuers), env, flags);
      assertEquals(Optional.of(c.getValue()), config.rootKey().previous(), c.getKey().toString());
      assertEquals(new ServerConfig.KeyFile(dir.resolve("new.key")), config.rootKey().source());
      assertFalse(config.toString().contains("1234-secret") || config.toString().contains("not in the config"));
    }
    List<String> two = new ArrayList<>(base);
    two.addAll(List.of("--root-key-previous-file", "/a", "--root-key-previous-passphrase-env", "OLD_PASS"));
    ConfigException twoKeys = assertThrows(ConfigException.class, () -> ServerConfig.load(Optional.of(issuers), env, two));
    assertTrue(twoKeys.getMessage().startsWith("the previous root key needs exactly one of"), twoKeys.getMessage());
    List<String> unset = new ArrayList<>(base);
    unset.addAll(List.of("--root-key-previous-pkcs11-config", p11.toString()));
    ConfigException noPin = assertThrows(ConfigException.class, () -> ServerConfig.load(Optional.of(issuers), env, unset));
    assertTrue(noPin.getMessage().contains("rootKey.previousPkcs11PinEnv"), noPin.getMessage());
    List<String> same = new ArrayList<>(base);
    same.addAll(List.of("--root-key-previous-file", dir.resolve("new.key").toString()));
    ConfigException sameKey = assertThrows(ConfigException.class, () -> ServerConfig.load(Optional.of(issuers), env, same));
    assertTrue(sameKey.getMessage().contains("exactly like the current one"), sameKey.getMessage());

    // The current key may be on an HSM as well (its PIN variable must be set).
    List<String> hsm = List.of("--insecure-dev", "--store", "sqlite:" + dir.resolve("x.db"),
        "--root-key-pkcs11-config", p11.toString(), "--root-key-pkcs11-pin-env", "HSM_PIN");
    ConfigException pinUnset = assertThrows(ConfigException.class,
        () -> ServerConfig.load(Optional.of(issuers), Map.of(), hsm));
    assertTrue(pinUnset.getMessage().contains("HSM_PIN"), pinUnset.getMessage());
    ServerConfig onHsm = ServerConfig.load(Optional.of(issuers), env, hsm);
    assertEquals(new ServerConfig.Pkcs11Key(p11, "keyward-root", "HSM_PIN"), onHsm.rootKey().source());
  }
}
