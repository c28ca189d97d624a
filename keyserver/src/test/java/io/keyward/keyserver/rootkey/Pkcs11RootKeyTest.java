package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.DecryptDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyRequest;
import io.keyward.api.v1.GenerateDataKeyResponse;
import io.keyward.api.v1.KeyServiceGrpc;
import io.keyward.keyserver.KeyserverLauncher;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.keyserver.keys.KeyCatalog;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.Stores;
import io.keyward.keyserver.store.WrappedSecret;
import io.keyward.testing.TestTokenIssuer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.keyward.api.v1.RotateKeyRequest;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HSM root key against a real SoftHSM2 token through SunPKCS11 (AES-GCM in the token). */
class Pkcs11RootKeyTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] AAD = "keyward/test".getBytes(StandardCharsets.US_ASCII);

  private static String label() {
    return "root-" + UUID.randomUUID();
  }

  private static byte[] secret() {
    byte[] s = new byte[32];
    RANDOM.nextBytes(s);
    return s;
  }

  @Test
  void wrapsAndUnwrapsInTheHsmAndIsFoundAgainByLabel() throws Exception {
    Path config = SoftHsm.sunPkcs11Config();
    String label = label();
    Pkcs11RootKey key = Pkcs11RootKey.generate(config, label, SoftHsm.PIN);
    byte[] secret = secret();
    byte[] wrapped = key.wrap(secret, AAD);
    assertEquals(1 + 12 + 32 + 16, wrapped.length);
    assertNotEquals(
        HexFormat.of().formatHex(wrapped),
        HexFormat.of().formatHex(key.wrap(secret, AAD)),
        "a fresh nonce per wrap");
    assertArrayEquals(secret, key.unwrap(wrapped, AAD));
    assertTrue(key.id().matches("p11-[0-9a-f]{16}"), key.id());

    Pkcs11RootKey reopened = Pkcs11RootKey.open(config, label, SoftHsm.PIN);
    assertEquals(key.id(), reopened.id());
    assertArrayEquals(secret, reopened.unwrap(wrapped, AAD));
    assertFalse(reopened.toString().contains(new String(SoftHsm.PIN)));
  }

  @Test
  void wrongContextTamperingAndOtherKeysAreRefused() throws Exception {
    Path config = SoftHsm.sunPkcs11Config();
    Pkcs11RootKey key = Pkcs11RootKey.generate(config, label(), SoftHsm.PIN);
    Pkcs11RootKey other = Pkcs11RootKey.generate(config, label(), SoftHsm.PIN);
    assertNotEquals(key.id(), other.id());
    byte[] wrapped = key.wrap(secret(), AAD);
    assertThrows(RootKeyException.class, () -> key.unwrap(wrapped, "other".getBytes(StandardCharsets.US_ASCII)));
    assertThrows(RootKeyException.class, () -> other.unwrap(wrapped, AAD));
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < wrapped.length; i++) {
      byte[] tampered = wrapped.clone();
      tampered[i] ^= 0x01;
      try {
        key.unwrap(tampered, AAD);
        accepted.add("byte " + i);
      } catch (RootKeyException expected) {
        // refused, as it must be
      }
    }
    assertEquals(List.of(), accepted);
    assertThrows(RootKeyException.class, () -> key.unwrap(new byte[10], AAD));
  }

  @Test
  void missingAndTakenLabelsAreRefusedAndClosedKeysStop() throws Exception {
    Path config = SoftHsm.sunPkcs11Config();
    String label = label();
    RootKeyException missing =
        assertThrows(RootKeyException.class, () -> Pkcs11RootKey.open(config, label, SoftHsm.PIN));
    assertTrue(missing.getMessage().contains("no AES secret key labelled"), missing.getMessage());
    Pkcs11RootKey.generate(config, label, SoftHsm.PIN);
    assertThrows(RootKeyException.class, () -> Pkcs11RootKey.generate(config, label, SoftHsm.PIN));
    // A wrong PIN cannot be tried here: PKCS#11 login state belongs to the whole process, and the
    // token is already logged in by the other tests of this JVM.
    Pkcs11RootKey closed = Pkcs11RootKey.open(config, label, SoftHsm.PIN);
    closed.close();
    assertThrows(RuntimeException.class, () -> closed.wrap(secret(), AAD));
  }

  @Test
  void rotatesAStoreFromAFileKeyIntoTheHsm(@TempDir Path dir) throws Exception {
    Path config = SoftHsm.sunPkcs11Config();
    FileRootKey fileKey = FileRootKey.createIfMissing(dir.resolve("root.key"));
    Pkcs11RootKey hsmKey = Pkcs11RootKey.generate(config, label(), SoftHsm.PIN);
    byte[] secret = secret();
    try (JdbcKeyStore store = Stores.open("sqlite:" + dir.resolve("keyward.db"))) {
      RootKeyCheck.verifyOrInitialize(store, fileKey);
      store.createKey(
          "k",
          KeySettings.NONE,
          new WrappedSecret(fileKey.id(), fileKey.wrap(secret, KeyCatalog.versionSecretAad("k", 1))),
          Instant.parse("2026-01-01T00:00:00Z"));
      RootKeyRotation.Result result = RootKeyRotation.rotate(store, fileKey, hsmKey);
      assertEquals(new RootKeyRotation.Result(1, 1, false), result);
      WrappedSecret now = store.findKey("k").orElseThrow().primary().wrappedSecret().orElseThrow();
      assertEquals(hsmKey.id(), now.rootKeyId());
      assertArrayEquals(secret, hsmKey.unwrap(now.ciphertext(), KeyCatalog.versionSecretAad("k", 1)));
      RootKeyCheck.verifyOrInitialize(store, hsmKey);
      assertThrows(RootKeyException.class, () -> RootKeyCheck.verifyOrInitialize(store, fileKey));
      // And out of it again: the HSM key is the old one now, which the rotation accepts as well.
      FileRootKey another = FileRootKey.createIfMissing(dir.resolve("another.key"));
      assertEquals(new RootKeyRotation.Result(1, 1, false),
          RootKeyRotation.rotate(store, hsmKey, another));
      WrappedSecret back = store.findKey("k").orElseThrow().primary().wrappedSecret().orElseThrow();
      assertArrayEquals(secret, another.unwrap(back.ciphertext(), KeyCatalog.versionSecretAad("k", 1)));
    }
  }

  @Test
  void aKeyserverConfiguredWithTheHsmKeyServesAndRestarts(@TempDir Path dir) throws Exception {
    Path config = SoftHsm.sunPkcs11Config();
    String label = label();
    Pkcs11RootKey.generate(config, label, SoftHsm.PIN).close();
    assumeTrue(
        new String(SoftHsm.PIN).equals(System.getenv("KEYWARD_TEST_HSM_PIN")),
        "KEYWARD_TEST_HSM_PIN is set by the surefire configuration");
    TestTokenIssuer issuer =
        TestTokenIssuer.create(TestKeyserver.ISSUER);
    issuer.writeJwks(dir.resolve("jwks.json"));
    Files.writeString(dir.resolve("policy.yaml"), TestKeyserver.POLICY);
    Path yaml = Files.writeString(dir.resolve("keyward.yaml"), String.join("\n",
        "listen: 127.0.0.1:0",
        "metricsListen: \"\"",
        "insecureDev: true",
        "store: sqlite:" + dir.resolve("keyward.db"),
        "rootKey:",
        "  pkcs11Config: " + config,
        "  pkcs11KeyLabel: " + label,
        "  pkcs11PinEnv: KEYWARD_TEST_HSM_PIN",
        "identity:",
        "  issuers:",
        "    - issuer: " + TestKeyserver.ISSUER,
        "      jwksFile: " + dir.resolve("jwks.json"),
        "policyFile: " + dir.resolve("policy.yaml"),
        "shutdownGracePeriod: 1s",
        ""));
    ServerConfig serverConfig = ServerConfig.load(
        Optional.of(yaml), System.getenv(), List.of());
    GenerateDataKeyResponse issued;
    try (KeyserverLauncher.Running running =
        KeyserverLauncher.start(serverConfig, Clock.systemUTC())) {
      ManagedChannel channel = NettyChannelBuilder
          .forAddress("127.0.0.1", running.grpcPort()).usePlaintext().build();
      try {
        AdminServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
            .createKey(CreateKeyRequest.newBuilder().setName("a-hsm").build());
        issued = KeyServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("a", "app")))
            .generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyName("a-hsm").build());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    try (JdbcKeyStore store = Stores.open("sqlite:" + dir.resolve("keyward.db"))) {
      WrappedSecret stored = store.findKey("a-hsm").orElseThrow().primary().wrappedSecret().orElseThrow();
      assertEquals(Pkcs11RootKey.open(config, label, SoftHsm.PIN).id(), stored.rootKeyId());
    }
    try (KeyserverLauncher.Running running =
        KeyserverLauncher.start(serverConfig, Clock.systemUTC())) {
      ManagedChannel channel = NettyChannelBuilder
          .forAddress("127.0.0.1", running.grpcPort()).usePlaintext().build();
      try {
        assertEquals(issued.getPlaintextDataKey(), KeyServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("a", "app")))
            .decryptDataKey(DecryptDataKeyRequest.newBuilder()
                .setWrappedDataKey(issued.getWrappedDataKey()).build())
            .getPlaintextDataKey());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }

    // Away from the HSM, online: a server holding a key file and the HSM key as the previous key
    // serves while the command line rotates, and after the swap it keeps serving and rotating.
    FileRootKey.createIfMissing(dir.resolve("new.key")).close();
    String ring = Files.readString(yaml).replace("  pkcs11Config: ", "  file: " + dir.resolve("new.key")
        + "\n  previousPkcs11Config: ").replace("  pkcs11KeyLabel: ", "  previousPkcs11KeyLabel: ")
        .replace("  pkcs11PinEnv: ", "  previousPkcs11PinEnv: ");
    Path ringYaml = Files.writeString(dir.resolve("ring.yaml"), ring);
    try (KeyserverLauncher.Running running = KeyserverLauncher.start(
        ServerConfig.load(Optional.of(ringYaml), System.getenv(), List.of()), Clock.systemUTC())) {
      ManagedChannel channel = NettyChannelBuilder
          .forAddress("127.0.0.1", running.grpcPort()).usePlaintext().build();
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int code = RootKeyRotationMain.run(new String[] {"rotate", "--store", "sqlite:" + dir.resolve("keyward.db"),
            "--old-pkcs11-config", config.toString(), "--old-pkcs11-label", label,
            "--old-pkcs11-pin-env", "KEYWARD_TEST_HSM_PIN", "--new-key-file", dir.resolve("new.key").toString()},
            System.getenv(), print, print);
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        assertEquals(issued.getPlaintextDataKey(), KeyServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("a", "app")))
            .decryptDataKey(DecryptDataKeyRequest.newBuilder()
                .setWrappedDataKey(issued.getWrappedDataKey()).build())
            .getPlaintextDataKey());
        assertEquals(2, AdminServiceGrpc.newBlockingStub(channel)
            .withCallCredentials(TestKeyserver.bearer(issuer.kubernetesToken("ops", "admin")))
            .rotateKey(RotateKeyRequest.newBuilder().setName("a-hsm").build()).getPrimaryVersion());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    try (JdbcKeyStore store = Stores.open("sqlite:" + dir.resolve("keyward.db"));
        FileRootKey fileKey = FileRootKey.load(dir.resolve("new.key"))) {
      RootKeyCheck.verifyOrInitialize(store, fileKey);
      assertEquals(List.of(fileKey.id(), fileKey.id()), store.findKey("a-hsm").orElseThrow().versions().stream()
          .map(v -> v.wrappedSecret().orElseThrow().rootKeyId()).toList());
    }
  }
}
