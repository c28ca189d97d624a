package io.keyward.sdk.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MessageEncrypterTest {
  private static final byte[] CONTEXT = CanonicalContext.encode(Map.of("k", "v"));
  private final DataKey key = DataKey.deriveFromInsecureBytes(new byte[32]);
  private final byte[] header =
      Header.encodeMessage("payments", 1, new byte[] {5}, key.commitment());

  private static String nonceOf(byte[] ct, Header h) {
    return HexFormat.of().formatHex(ct, h.length(), h.length() + 12);
  }

  @Test
  void concurrentEncryptionsGetDistinctNoncesAndExactlyTheBudget() throws Exception {
    int budget = 10_000;
    MessageEncrypter encrypter = MessageEncrypter.create(key, header, CONTEXT, budget, 1L << 40);
    Set<String> nonces = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 3000; i++) {
            byte[] ct = encrypter.tryEncrypt(new byte[16]);
            if (ct == null) {
              refused.incrementAndGet();
            } else {
              nonces.add(nonceOf(ct, Header.parse(ct)));
            }
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(budget, nonces.size());
    assertEquals(12_000 - budget, refused.get());
  }

  @Test
  void sealsOpensAndBindsTheContext() {
    MessageEncrypter encrypter = MessageEncrypter.create(key, header, CONTEXT, 10, 1000);
    byte[] ct = encrypter.tryEncrypt(new byte[] {1, 2, 3});
    Header h = Header.parse(ct);
    assertArrayEquals(new byte[] {1, 2, 3}, MessageDecrypter.open(key, h, ct, CONTEXT));
    assertThrows(DecryptionFailedException.class,
        () -> MessageDecrypter.open(key, h, ct, CanonicalContext.encode(Map.of())));
    byte[] second = encrypter.tryEncrypt(new byte[] {1, 2, 3});
    assertNotEquals(nonceOf(ct, h), nonceOf(second, Header.parse(second)));
  }

  @Test
  void byteBudgetIsEnforcedAndTheCapsCannotBeExceeded() {
    MessageEncrypter encrypter = MessageEncrypter.create(key, header, CONTEXT, 100, 10);
    assertNotNull(encrypter.tryEncrypt(new byte[10]));
    assertNull(encrypter.tryEncrypt(new byte[1]));
    assertNull(MessageEncrypter.create(key, header, CONTEXT, 100, 10).tryEncrypt(new byte[11]));
    assertThrows(IllegalArgumentException.class, () -> MessageEncrypter.create(
        key, header, CONTEXT, MessageEncrypter.MAX_MESSAGES_PER_DEK + 1, 10));
    assertThrows(IllegalArgumentException.class, () -> MessageEncrypter.create(
        key, header, CONTEXT, 10, MessageEncrypter.MAX_BYTES_PER_DEK + 1));
  }

  @Test
  void keyMaterialNeverShowsInToString() {
    assertEquals("DataKey[REDACTED]", key.toString());
    MessageEncrypter encrypter = MessageEncrypter.create(key, header, CONTEXT, 10, 1000);
    assertTrue(encrypter.toString().contains("REDACTED"));
    assertFalse(encrypter.toString().contains(HexFormat.of().formatHex(key.commitment())));
  }

  @Test
  void differentDataKeysHaveDifferentCommitments() {
    Set<String> commitments = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      byte[] dek = new byte[32];
      dek[i] = 1;
      commitments.add(HexFormat.of().formatHex(DataKey.deriveFromInsecureBytes(dek).commitment()));
    }
    assertEquals(10, commitments.size());
    assertThrows(IllegalArgumentException.class, () -> DataKey.deriveFromInsecureBytes(new byte[16]));
  }
}
