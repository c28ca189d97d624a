package io.keyward.sdk;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.keyward.api.v1.AdminServiceGrpc;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.SetMinDecryptionVersionRequest;
import io.keyward.keyserver.NetworkKeyserver;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.sdk.format.Header;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK against the real keyserver over TLS (SQLite, root key, JWT, policy): rewrap end to end,
 * and tampering with the part of the header the AEAD leaves to the keyserver (key version and
 * wrapped DEK) fails with the uniform exception.
 */
class RealKeyserverRewrapTest {
  private static final String KEY = "a-orders";
  private static final Map<String, String> CONTEXT = Map.of("table", "orders");

  @TempDir Path dir;
  private NetworkKeyserver keyserver;
  private ManagedChannel adminChannel;
  private final List<KeywardClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    keyserver = NetworkKeyserver.start(dir);
    keyserver.createKey(KEY);
    adminChannel = Grpc.newChannelBuilder(keyserver.address(), TlsChannelCredentials.newBuilder()
        .trustManager(keyserver.caCertificate().toFile()).build()).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    clients.forEach(KeywardClient::close);
    adminChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    keyserver.close();
  }

  private KeywardClient client(String token) {
    KeywardClient c = KeywardClient.create(KeywardSettings.builder()
        .keyserverAddress(keyserver.address())
        .trustedCaFile(keyserver.caCertificate())
        .tokenSource(TokenSources.fixed(token))
        .defaultKeyName(KEY)
        .build());
    clients.add(c);
    return c;
  }

  private AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(adminChannel)
        .withCallCredentials(TestKeyserver.bearer(keyserver.adminToken()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void encryptRotateRewrapRaiseMinimumThenOnlyTheRewrappedDecrypts() {
    KeywardClient app = client(keyserver.tokenFor("a", "app"));
    byte[] ct = app.encrypt("order 42".getBytes(UTF_8), CONTEXT);
    assertEquals(1, Header.parse(ct).keyVersion());
    admin().rotateKey(RotateKeyRequest.newBuilder().setName(KEY).build());

    // The app may encrypt and decrypt, not rewrap.
    assertThrows(PermissionDeniedException.class, () -> app.rewrap(ct, CONTEXT));
    KeywardClient operator = client(keyserver.adminToken());
    assertThrows(DecryptionFailedException.class, () -> operator.rewrap(ct, Map.of()));
    RewrapResult r = operator.rewrap(ct, CONTEXT);
    assertTrue(r.changed());
    assertEquals(1, r.previousVersion());
    assertEquals(2, r.newVersion());
    byte[] rewrapped = r.ciphertext();
    assertEquals(2, Header.parse(rewrapped).keyVersion());
    RewrapResult again = operator.rewrap(rewrapped, CONTEXT);
    assertEquals(false, again.changed());
    assertArrayEquals(rewrapped, again.ciphertext());

    admin().setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
        .setName(KEY).setMinDecryptionVersion(2).build());
    KeywardClient reader = client(keyserver.tokenFor("a", "app"));
    assertEquals("order 42", new String(reader.decrypt(rewrapped, CONTEXT), UTF_8));
    assertThrows(KeyVersionUnusableException.class, () -> reader.decrypt(ct, CONTEXT));
    assertThrows(KeyVersionUnusableException.class, () -> operator.rewrap(ct, CONTEXT));
  }

  /**
   * Every bit of the key version, the wrapped-DEK length and the wrapped DEK, flipped: the real
   * keyserver refuses the wrap (INVALID_ARGUMENT, or NOT_FOUND for a name or version it does not
   * have), or answers with a version that differs from the header's, and the SDK reports each
   * as the same {@link DecryptionFailedException}. The cache is warm, so a flip cannot borrow
   * the cached key either.
   */
  @Test
  void flippingVersionOrWrappedKeyBitsFailsAlikeAgainstTheRealKeyserver() {
    KeywardClient client = client(keyserver.adminToken());
    byte[] ct = client.encrypt("x".getBytes(UTF_8), CONTEXT);
    assertArrayEquals("x".getBytes(UTF_8), client.decrypt(ct, CONTEXT));
    admin().rotateKey(RotateKeyRequest.newBuilder().setName(KEY).build()); // versions 1 and 2
    Header header = Header.parse(ct);
    int from = 3 + KEY.length();
    int to = header.wrappedDekOffset() + header.wrappedDekLength();
    List<String> failures = new ArrayList<>();
    for (int bit = from * 8; bit < to * 8; bit++) {
      byte[] bad = ct.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      for (String op : new String[] {"decrypt", "rewrap"}) {
        try {
          if (op.equals("decrypt")) {
            client.decrypt(bad, CONTEXT);
          } else {
            client.rewrap(bad, CONTEXT);
          }
          failures.add(op + " bit " + bit + ": succeeded");
        } catch (DecryptionFailedException expected) {
          // uniform
        } catch (RuntimeException e) {
          failures.add(op + " bit " + bit + ": " + e);
        }
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " cases:\n" + String.join("\n", failures));
    assertArrayEquals("x".getBytes(UTF_8), client.decrypt(ct, CONTEXT));
  }
}
