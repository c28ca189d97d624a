package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.sidecar.SidecarFixture.Reply;
import io.keyward.testing.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops and restarts a real keyserver while the sidecar is under load. While it is down: encrypt
 * works with cached data keys until their message limit, decrypt works with cached keys within
 * the grace period (cache ages run on a fake clock), everything else gets 503, and {@code /readyz}
 * says degraded. When it returns, the sidecar recovers without a restart.
 */
class KeyserverOutageTest {
  static final int MAX_MESSAGES = 50;
  @TempDir Path dir;

  /** Background load: encrypt and decrypt in a loop; counts statuses per phase. */
  static final class Load implements AutoCloseable {
    final AtomicReference<String> phase = new AtomicReference<>("before");
    final ConcurrentMap<String, AtomicLong> counts = new ConcurrentHashMap<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final ExecutorService threads = Executors.newFixedThreadPool(4);
    final List<Future<?>> tasks;

    Load(SidecarFixture f, String ciphertext) {
      tasks = java.util.stream.IntStream.range(0, 4).<Future<?>>mapToObj(i -> threads.submit(() -> {
        while (running.get()) {
          Reply r = i % 2 == 0
              ? f.encrypt("a-payments", new byte[1024], Map.of("load", "yes"))
              : f.decrypt(ciphertext, Map.of("load", "yes"));
          String op = i % 2 == 0 ? "encrypt" : "decrypt";
          counts.computeIfAbsent(phase.get() + " " + op + " " + r.status(),
              k -> new AtomicLong()).incrementAndGet();
        }
        return null;
      })).toList();
    }

    long count(String key) {
      AtomicLong n = counts.get(key);
      return n == null ? 0 : n.get();
    }

    @Override
    public void close() throws Exception {
      running.set(false);
      for (Future<?> t : tasks) {
        t.get(30, TimeUnit.SECONDS); // rethrows a failed request (e.g. connection refused)
      }
      threads.shutdownNow();
    }
  }

  @Test
  void servesCachedKeysWhileDownAndRecoversWhenBack() throws Exception {
    FakeClock clock = FakeClock.startingAt2026();
    SidecarFixture f = SidecarFixture.startWithClock(dir, """
        cache:
          dataKeyMaxMessages: %d
          dataKeyMaxAge: 1h
          decryptKeyMaxAge: 1m
          decryptGracePeriod: 10m
        """.formatted(MAX_MESSAGES), clock, "a-payments");
    try (f) {
      String loadCt = f.encrypt("a-payments", new byte[8], Map.of("load", "yes"))
          .body().get("ciphertext").asText();
      assertEquals(200, f.decrypt(loadCt, Map.of("load", "yes")).status());
      // A data key with exactly one message spent, and a ciphertext never decrypted.
      assertEquals(200, f.encrypt("a-payments", new byte[1], Map.of("limit", "1")).status());
      String neverDecrypted = f.encrypt("a-payments", new byte[1], Map.of("cold", "1"))
          .body().get("ciphertext").asText();

      try (Load load = new Load(f, loadCt)) {
        awaitCount(load, "before decrypt 200");
        f.keyserver.stop();
        load.phase.set("down");
        awaitCount(load, "down decrypt 200");

        // Encrypt keeps working with the cached data key until its message limit.
        for (int i = 1; i < MAX_MESSAGES; i++) {
          Reply r = f.encrypt("a-payments", new byte[1], Map.of("limit", "1"));
          assertEquals(200, r.status(), "message " + (i + 1) + ": " + r.body());
        }
        assertUnavailable(f.encrypt("a-payments", new byte[1], Map.of("limit", "1")));
        // No cached key: 503 with a clear message.
        assertUnavailable(f.encrypt("a-payments", new byte[1], Map.of("new", "context")));
        assertUnavailable(f.decrypt(neverDecrypted, Map.of("cold", "1")));

        Reply ready = f.get("/readyz");
        assertEquals(503, ready.status());
        assertEquals("degraded", ready.body().get("status").asText());
        assertEquals(200, f.get("/healthz").status());

        // The load's decrypts kept succeeding; its encrypts spent their key and then got 503.
        awaitCount(load, "down encrypt 503");
        assertEquals(0, load.count("down decrypt 503"), load.counts.toString());

        f.keyserver.restart();
        awaitReady(f);
        load.phase.set("back");
        awaitCount(load, "back encrypt 200");
        awaitCount(load, "back decrypt 200");
      }

      // After recovery everything works again without a restart of the sidecar.
      assertEquals(200, f.encrypt("a-payments", new byte[1], Map.of("new", "context")).status());
      assertEquals(200, f.decrypt(neverDecrypted, Map.of("cold", "1")).status());
    }
  }

  @Test
  void decryptUsesCachedKeysOnlyWithinTheGracePeriod() throws Exception {
    FakeClock clock = FakeClock.startingAt2026();
    SidecarFixture f = SidecarFixture.startWithClock(dir, """
        cache:
          decryptKeyMaxAge: 1m
          decryptGracePeriod: 10m
        """, clock, "a-payments");
    try (f) {
      String ct = f.encrypt("a-payments", new byte[4], Map.of()).body().get("ciphertext")
          .asText();
      assertEquals(200, f.decrypt(ct, Map.of()).status());
      f.keyserver.stop();

      clock.advance(Duration.ofMinutes(5)); // past max-age, within the grace
      assertEquals(200, f.decrypt(ct, Map.of()).status());
      clock.advance(Duration.ofMinutes(6)); // past max-age + grace
      assertUnavailable(f.decrypt(ct, Map.of()));

      f.keyserver.restart();
      awaitReady(f);
      assertEquals(200, f.decrypt(ct, Map.of()).status());
    }
  }

  private static void assertUnavailable(Reply r) {
    assertEquals(503, r.status(), r.body().toString());
    assertEquals("keyserver_unavailable", r.errorCode());
    assertTrue(r.body().path("error").path("message").asText().contains("cannot be reached"));
  }

  /** Polls (the keyserver reconnect is real time, not a cache age) until ready, at most 30 s. */
  private static void awaitReady(SidecarFixture f) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (f.get("/readyz").status() != 200) {
      assertTrue(System.nanoTime() < deadline, "sidecar did not recover within 30 s");
      Thread.sleep(50);
    }
  }

  private static void awaitCount(Load load, String key) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (load.count(key) == 0) {
      assertTrue(System.nanoTime() < deadline, "no '" + key + "' within 30 s: " + load.counts);
      Thread.sleep(10);
    }
  }
}
