package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Data-key cache behaviour seen through the client, with a fake clock and a counting keyserver. */
class DataKeyCachingTest {
  @RegisterExtension final InProcessKeyserver keyserver = new InProcessKeyserver();

  private static final Map<String, String> CONTEXT = Map.of("tenant", "acme");

  private static String wrappedDekOf(byte[] ciphertext) {
    return TextForm.encode(Header.parse(ciphertext).wrappedDek());
  }

  @Test
  void dataKeyIsReplacedAfterMaxMessages() {
    KeywardClient client = keyserver.client(b -> b.dataKeyMaxMessages(3));
    Set<String> deks = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      deks.add(wrappedDekOf(client.encrypt(new byte[10], CONTEXT)));
    }
    assertEquals(1, keyserver.fake.generateCalls.get());
    assertEquals(1, deks.size());
    deks.add(wrappedDekOf(client.encrypt(new byte[10], CONTEXT)));
    assertEquals(2, keyserver.fake.generateCalls.get());
    assertEquals(2, deks.size());
  }

  @Test
  void dataKeyIsReplacedAfterMaxBytes() {
    KeywardClient client = keyserver.client(b -> b.dataKeyMaxBytes(100));
    byte[] a = client.encrypt(new byte[60], CONTEXT);
    byte[] b = client.encrypt(new byte[40], CONTEXT); // exactly at the limit: same DEK
    assertEquals(wrappedDekOf(a), wrappedDekOf(b));
    assertEquals(1, keyserver.fake.generateCalls.get());
    byte[] c = client.encrypt(new byte[1], CONTEXT);
    assertNotEquals(wrappedDekOf(a), wrappedDekOf(c));
    assertEquals(2, keyserver.fake.generateCalls.get());
    assertThrows(IllegalArgumentException.class, () -> client.encrypt(new byte[101], CONTEXT));
  }

  @Test
  void dataKeyIsReplacedAfterMaxAge() {
    KeywardClient client = keyserver.client(b -> b.dataKeyMaxAge(Duration.ofMinutes(2)));
    byte[] a = client.encrypt(new byte[1], CONTEXT);
    keyserver.clock.advance(Duration.ofSeconds(119));
    byte[] b = client.encrypt(new byte[1], CONTEXT);
    assertEquals(wrappedDekOf(a), wrappedDekOf(b));
    keyserver.clock.advance(Duration.ofSeconds(1));
    byte[] c = client.encrypt(new byte[1], CONTEXT);
    assertNotEquals(wrappedDekOf(a), wrappedDekOf(c));
    assertEquals(2, keyserver.fake.generateCalls.get());
  }

  @Test
  void eachContextAndKeyGetsItsOwnDataKey() {
    keyserver.fake.createKey("other");
    KeywardClient client = keyserver.client();
    String a = wrappedDekOf(client.encrypt(new byte[1], Map.of("tenant", "a")));
    String b = wrappedDekOf(client.encrypt(new byte[1], Map.of("tenant", "b")));
    String c = wrappedDekOf(client.encrypt("other", new byte[1], Map.of("tenant", "a")));
    assertEquals(3, Set.of(a, b, c).size());
    assertEquals(3, keyserver.fake.generateCalls.get());
  }

  @Test
  void maxMessagesAboveTheNonceBoundIsRefused() {
    KeywardSettings.Builder b = KeywardSettings.builder();
    assertThrows(IllegalArgumentException.class, () -> b.dataKeyMaxMessages((1L << 32) + 1));
    assertThrows(IllegalArgumentException.class, () -> b.dataKeyMaxMessages(0));
    b.dataKeyMaxMessages(1L << 32); // the bound itself is allowed
  }

  @Test
  void concurrentEncryptMissesMakeOneKeyserverCall() throws Exception {
    int threads = 8;
    CountDownLatch gate = new CountDownLatch(1);
    keyserver.fake.generateGate = gate;
    KeywardClient client = keyserver.client();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      List<Thread> workers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          synchronized (workers) {
            workers.add(Thread.currentThread());
          }
          return client.encrypt(new byte[8], CONTEXT);
        }));
      }
      awaitAllParked(workers, threads);
      gate.countDown();
      Set<String> deks = new HashSet<>();
      for (Future<byte[]> f : results) {
        deks.add(wrappedDekOf(f.get(10, TimeUnit.SECONDS)));
      }
      assertEquals(1, keyserver.fake.generateCalls.get());
      assertEquals(1, deks.size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentDecryptMissesMakeOneKeyserverCall() throws Exception {
    byte[] ct = keyserver.client().encrypt(new byte[] {42}, CONTEXT);
    CountDownLatch gate = new CountDownLatch(1);
    keyserver.fake.decryptGate = gate;
    KeywardClient reader = keyserver.client();
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Thread> workers = new ArrayList<>();
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          synchronized (workers) {
            workers.add(Thread.currentThread());
          }
          return reader.decrypt(ct, CONTEXT);
        }));
      }
      awaitAllParked(workers, threads);
      assertEquals(1, keyserver.fake.decryptCalls.get());
      gate.countDown();
      for (Future<byte[]> f : results) {
        assertArrayEquals(new byte[] {42}, f.get(10, TimeUnit.SECONDS));
      }
      assertEquals(1, keyserver.fake.decryptCalls.get());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Waits until every worker is blocked (one in the keyserver call, the rest on the cache). */
  private static void awaitAllParked(List<Thread> workers, int expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      synchronized (workers) {
        if (workers.size() == expected && workers.stream().allMatch(t ->
            t.getState() == Thread.State.BLOCKED || t.getState() == Thread.State.WAITING
                || t.getState() == Thread.State.TIMED_WAITING)) {
          return;
        }
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("workers did not all block on the cache");
  }

  @Test
  void decryptReusesUnwrappedKeysUntilMaxAge() {
    byte[] ct = keyserver.client().encrypt(new byte[] {1}, CONTEXT);
    KeywardClient reader = keyserver.client(b -> b.decryptKeyMaxAge(Duration.ofMinutes(1)));
    reader.decrypt(ct, CONTEXT);
    reader.decrypt(ct, CONTEXT);
    assertEquals(1, keyserver.fake.decryptCalls.get());
    keyserver.clock.advance(Duration.ofMinutes(1));
    reader.decrypt(ct, CONTEXT);
    assertEquals(2, keyserver.fake.decryptCalls.get());
  }

  @Test
  void keyserverDownCachedKeysKeepWorkingUncachedFail() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encrypt(new byte[] {7}, CONTEXT);
    client.decrypt(ct, CONTEXT);
    keyserver.fake.mode = FakeKeyserver.Mode.DOWN;

    assertArrayEquals(new byte[] {7}, client.decrypt(client.encrypt(new byte[] {7}, CONTEXT),
        CONTEXT));
    assertArrayEquals(new byte[] {7}, client.decrypt(ct, CONTEXT));
    assertThrows(KeyserverUnavailableException.class,
        () -> client.encrypt(new byte[1], Map.of("tenant", "uncached")));
    assertThrows(KeyserverUnavailableException.class,
        () -> keyserver.client().decrypt(ct, CONTEXT));

    keyserver.clock.advance(KeywardSettings.DEFAULT_DATA_KEY_MAX_AGE);
    assertThrows(KeyserverUnavailableException.class, () -> client.encrypt(new byte[1], CONTEXT));
    assertThrows(KeyserverUnavailableException.class, () -> client.decrypt(ct, CONTEXT));
  }

  @Test
  void graceExtendsDecryptOnlyWhileTheKeyserverIsUnavailable() {
    KeywardClient client = keyserver.client(b -> b
        .decryptKeyMaxAge(Duration.ofMinutes(1))
        .dataKeyMaxAge(Duration.ofMinutes(1))
        .decryptGracePeriod(Duration.ofMinutes(10)));
    byte[] ct = client.encrypt(new byte[] {9}, CONTEXT);
    client.decrypt(ct, CONTEXT);
    keyserver.fake.mode = FakeKeyserver.Mode.DOWN;
    keyserver.clock.advance(Duration.ofMinutes(5));

    assertArrayEquals(new byte[] {9}, client.decrypt(ct, CONTEXT)); // stale, within grace
    assertThrows(KeyserverUnavailableException.class, () -> client.encrypt(new byte[1], CONTEXT));
    int calls = keyserver.fake.decryptCalls.get();
    assertTrue(calls >= 2, "a stale entry must first try the keyserver");

    keyserver.clock.advance(Duration.ofMinutes(6)); // past max-age + grace
    assertThrows(KeyserverUnavailableException.class, () -> client.decrypt(ct, CONTEXT));
  }

  @Test
  void aRefusalEndsTheGraceAtOnce() {
    KeywardClient client = keyserver.client(b -> b
        .decryptKeyMaxAge(Duration.ofMinutes(1))
        .decryptGracePeriod(Duration.ofMinutes(10)));
    byte[] ct = client.encrypt(new byte[] {9}, CONTEXT);
    client.decrypt(ct, CONTEXT);
    keyserver.clock.advance(Duration.ofMinutes(2));
    keyserver.fake.deny(InProcessKeyserver.KEY);
    assertThrows(PermissionDeniedException.class, () -> client.decrypt(ct, CONTEXT));
    keyserver.fake.mode = FakeKeyserver.Mode.DOWN;
    // The refused entry was dropped, so there is nothing left to serve in the grace.
    assertThrows(KeyserverUnavailableException.class, () -> client.decrypt(ct, CONTEXT));
  }

  @Test
  void freshDecryptEntryIsServedWithoutAskingTheKeyserver() {
    KeywardClient client = keyserver.client();
    byte[] ct = client.encrypt(new byte[] {3}, CONTEXT);
    client.decrypt(ct, CONTEXT);
    keyserver.fake.mode = FakeKeyserver.Mode.HANG;
    assertArrayEquals(new byte[] {3}, client.decrypt(ct, CONTEXT));
    assertFalse(keyserver.fake.decryptCalls.get() > 1);
  }
}
