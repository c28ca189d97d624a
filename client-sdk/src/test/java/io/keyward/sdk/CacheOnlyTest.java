package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link KeywardClient#encryptIfCached} and {@link KeywardClient#decryptIfCached} never call the
 * keyserver, use only what the caches hold within their limits, and {@link
 * KeywardClient#cacheStats()} counts hits and keyserver calls.
 */
class CacheOnlyTest {
  @RegisterExtension final InProcessKeyserver keyserver = new InProcessKeyserver();

  private static final Map<String, String> CONTEXT = Map.of("tenant", "acme");
  private static final String KEY = InProcessKeyserver.KEY;

  @Test
  void encryptIfCachedUsesOnlyACachedDataKeyWithinItsBudget() {
    KeywardClient client = keyserver.client(b -> b.dataKeyMaxMessages(2));
    assertEquals(Optional.empty(), client.encryptIfCached(KEY, new byte[1], CONTEXT));
    assertEquals(0, keyserver.fake.generateCalls.get());

    byte[] first = client.encrypt(KEY, new byte[] {1}, CONTEXT);
    Optional<byte[]> second = client.encryptIfCached(KEY, new byte[] {2}, Map.copyOf(CONTEXT));
    assertTrue(second.isPresent());
    assertArrayEquals(new byte[] {2}, client.decrypt(second.get(), CONTEXT));
    assertArrayEquals(new byte[] {1}, client.decrypt(first, CONTEXT));
    // Two messages spent: the budget is gone and no keyserver call is made.
    assertEquals(Optional.empty(), client.encryptIfCached(KEY, new byte[] {3}, CONTEXT));
    assertEquals(Optional.empty(), client.encryptIfCached(KEY, new byte[] {3},
        Map.of("tenant", "other")));
    assertEquals(1, keyserver.fake.generateCalls.get());
  }

  @Test
  void encryptIfCachedChecksItsArguments() {
    KeywardClient client = keyserver.client(b -> b.dataKeyMaxBytes(10));
    assertThrows(NullPointerException.class, () -> client.encryptIfCached(KEY, null, CONTEXT));
    assertThrows(IllegalArgumentException.class,
        () -> client.encryptIfCached(KEY, new byte[11], CONTEXT));
  }

  @Test
  void decryptIfCachedUsesOnlyFreshKeysNeverTheGrace() {
    KeywardClient client = keyserver.client(b -> b.decryptKeyMaxAge(Duration.ofMinutes(1))
        .decryptGracePeriod(Duration.ofHours(1)));
    byte[] ct = client.encrypt(KEY, new byte[] {7}, CONTEXT);
    assertEquals(Optional.empty(), client.decryptIfCached(ct, CONTEXT));
    assertEquals(0, keyserver.fake.decryptCalls.get());

    client.decrypt(ct, CONTEXT);
    assertArrayEquals(new byte[] {7}, client.decryptIfCached(ct, CONTEXT).orElseThrow());
    // The cache is keyed by wrapped key and context: another context finds nothing.
    assertEquals(Optional.empty(), client.decryptIfCached(ct, Map.of("tenant", "other")));
    keyserver.clock.advance(Duration.ofMinutes(2)); // past max-age, within the grace
    assertEquals(Optional.empty(), client.decryptIfCached(ct, CONTEXT));
    assertEquals(1, keyserver.fake.decryptCalls.get());

    byte[] tampered = ct.clone();
    tampered[tampered.length - 1] ^= 1;
    client.decrypt(ct, CONTEXT); // fresh again
    assertThrows(DecryptionFailedException.class, () -> client.decryptIfCached(tampered, CONTEXT));
  }

  @Test
  void cacheStatsCountHitsAndKeyserverCalls() {
    KeywardClient client = keyserver.client();
    assertEquals(new CacheStats(0, 0, 0, 0), client.cacheStats());
    byte[] ct = client.encrypt(KEY, new byte[1], CONTEXT);
    client.encrypt(KEY, new byte[1], CONTEXT);
    client.encryptIfCached(KEY, new byte[1], CONTEXT);
    client.decrypt(ct, CONTEXT);
    client.decrypt(ct, CONTEXT);
    client.decryptIfCached(ct, CONTEXT);
    assertEquals(new CacheStats(2, 1, 2, 1), client.cacheStats());
  }
}
