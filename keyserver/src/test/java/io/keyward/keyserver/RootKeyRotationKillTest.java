package io.keyward.keyserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rootkey.RootKeyRotationMain;
import io.keyward.keyserver.rootkey.RotationChecks;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills {@code keyward root-key rotate}, running in a process of its own over a store of thousands
 * of versions, with SIGKILL: early in the backfill, well into it, and once every version is
 * re-wrapped (around the swap). After each kill exactly one of the two keys opens the store and
 * every version secret; the next run resumes, and the last one finishes.
 */
class RootKeyRotationKillTest {
  private static final int KEYS = 30;
  private static final int VERSIONS_PER_KEY = Integer.getInteger("keyward.rootkey.kill.versions", 100);
  private static final int SIGKILL_EXIT = 128 + 9;

  @TempDir Path dir;
  private final RotationChecks checks = new RotationChecks();
  private final List<AutoCloseable> open = new ArrayList<>();
  private Process process;

  @AfterEach
  void tearDown() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void everyKillLeavesOneKeyThatOpensEverythingAndTheLastRunFinishes(String kind) throws Exception {
    String location = RotationChecks.location(kind, dir, open);
    try (JdbcKeyStore store = Stores.open(location);
        RootKey oldKey = FileRootKey.createIfMissing(dir.resolve("old.key"))) {
      checks.seed(store, oldKey, KEYS, VERSIONS_PER_KEY, Instant.parse("2026-01-01T00:00:00Z"));
    }
    FileRootKey.createIfMissing(dir.resolve("new.key")).close();
    int versions = KEYS * VERSIONS_PER_KEY;

    // Each marker is a line the rotating process prints; it is killed as soon as one appears.
    List<Predicate<List<String>>> kills = List.of(
        lines -> lines.stream().anyMatch(l -> l.startsWith("re-wrapped ")),
        lines -> lines.stream().filter(l -> l.startsWith("re-wrapped ")).count() >= versions / 8 / 3,
        lines -> lines.contains("every version re-wrapped; swapping"));
    int interruptedBeforeSwap = 0;
    int staged = 0;
    for (int round = 0; round < kills.size(); round++) {
      if (!runAndKill(location, round, kills.get(round))) {
        break; // it finished before the marker: nothing left to interrupt
      }
      try (JdbcKeyStore store = Stores.open(location);
          RootKey oldKey = FileRootKey.load(dir.resolve("old.key"));
          RootKey newKey = FileRootKey.load(dir.resolve("new.key"))) {
        RootKey sole = checks.soleOpener(store, oldKey, newKey);
        int now = store.nextWraps().status().staged();
        if (sole == oldKey) {
          interruptedBeforeSwap++;
          assertTrue(now >= staged, "re-wrapped versions went from " + staged + " to " + now);
          staged = now;
        }
        System.out.printf("root key kill test (%s): kill %d left the store under the %s key, %d of %d"
            + " versions re-wrapped%n", kind, round + 1, sole == oldKey ? "old" : "new", now, versions);
      }
    }
    assertTrue(interruptedBeforeSwap >= 1, "no kill landed before the swap");

    Path out = dir.resolve("rotate-last.out");
    process = start(location, out);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the last run did not finish");
    assertEquals(0, process.exitValue(), Files.readString(out));
    try (JdbcKeyStore store = Stores.open(location);
        RootKey oldKey = FileRootKey.load(dir.resolve("old.key"));
        RootKey newKey = FileRootKey.load(dir.resolve("new.key"))) {
      assertSame(newKey, checks.soleOpener(store, oldKey, newKey));
      assertEquals(versions, store.nextWraps().status().liveVersions());
    }
  }

  /** Starts a rotation and kills it once its output satisfies {@code when}; false if it finished. */
  private boolean runAndKill(String location, int round, Predicate<List<String>> when) throws Exception {
    Path out = dir.resolve("rotate-" + round + ".out");
    process = start(location, out);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!when.test(Files.readAllLines(out))) {
      if (!process.isAlive()) {
        assertEquals(0, process.exitValue(), Files.readString(out));
        return false;
      }
      if (System.nanoTime() > deadline) {
        fail("the rotation made no progress:\n" + Files.readString(out));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    process.destroyForcibly(); // SIGKILL: no shutdown hook, no rollback by the process itself
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "process survived SIGKILL");
    if (process.exitValue() == 0) {
      return false; // it exited by itself just before the signal
    }
    assertEquals(SIGKILL_EXIT, process.exitValue());
    return true;
  }

  private Process start(String location, Path out) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", CrashTest.testClasspath(),
        RootKeyRotationMain.class.getName(), "rotate", "--store", location,
        "--old-key-file", dir.resolve("old.key").toString(),
        "--new-key-file", dir.resolve("new.key").toString(), "--batch-size", "8")
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
  }
}
