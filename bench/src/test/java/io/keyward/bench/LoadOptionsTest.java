package io.keyward.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {
  @Test
  void defaultsAreThoseOfTheIssue() {
    LoadOptions o = LoadOptions.parse(List.of());
    assertEquals(64, o.inFlight());
    assertEquals(Duration.ofSeconds(5), o.warmup());
    assertEquals(Duration.ofSeconds(15), o.duration());
    assertEquals(Optional.empty(), o.out());
    assertEquals(Duration.ofSeconds(180), o.timeLimit()); // 3 x 20 s + 2 min
    assertEquals(LoadOptions.Store.SQLITE, o.store());
    assertEquals(1, o.replicas());
    assertEquals("postgresql://postgres@127.0.0.1:5432/postgres", o.postgresUrl());
  }

  @Test
  void parsesPostgresReplicas() {
    LoadOptions o = LoadOptions.parse(List.of(
        "--store", "postgresql", "--replicas=2", "--channels", "4", "--postgres-url", "jdbc:postgresql://db:5433/admin?user=kw"));
    assertEquals(LoadOptions.Store.POSTGRESQL, o.store());
    assertEquals(2, o.replicas());
    assertEquals(4, o.channels());
    assertEquals("jdbc:postgresql://db:5433/admin?user=kw", o.postgresUrl());
    assertEquals(LoadOptions.DEFAULT_POSTGRES_URL, LoadOptions.parse(List.of("--store=postgres")).postgresUrl());
  }

  @Test
  void rejectsCombinationsThatCannotRun() {
    assertEquals("--replicas 2 needs --store postgresql: an SQLite file serves one keyserver",
        message("--replicas", "2"));
    assertEquals("--postgres-url is only used with --store postgresql",
        message("--postgres-url", "postgresql://postgres@127.0.0.1:5432/postgres"));
    assertEquals("--channels must be a multiple of --replicas so that every replica gets the same share of the"
        + " calls, got 3 channels for 2 replicas",
        message("--store", "postgresql", "--replicas", "2", "--channels", "3"));
    assertEquals("--channels must be a multiple of --replicas so that every replica gets the same share of the"
        + " calls, got 2 channels for 4 replicas",
        message("--store", "postgresql", "--replicas", "4"));
  }

  @Test
  void rejectsBadStoreSettings() {
    assertEquals("--store must be sqlite or postgresql, got 'mysql'", message("--store", "mysql"));
    assertEquals("replicas must be within 1..16, got 0", message("--store", "postgresql", "--replicas", "0"));
    assertEquals("--postgres-url must be postgresql://user@host:port/db or jdbc:postgresql://host:port/db?user=...,"
        + " got 'sqlite:/tmp/x.db'", message("--store", "postgresql", "--postgres-url", "sqlite:/tmp/x.db"));
    assertEquals("--postgres-url: store location must not contain a password; use ~/.pgpass or PGPASSFILE",
        message("--store", "postgresql", "--postgres-url", "postgresql://kw:secret@db/keyward"));
  }

  @Test
  void theRunDatabaseReplacesTheOneInTheUrl() {
    assertEquals("postgresql://postgres@127.0.0.1:5432/kw_bench_1",
        BenchStore.withDatabase("postgresql://postgres@127.0.0.1:5432/postgres", "kw_bench_1"));
    assertEquals("postgresql://db/kw_bench_1", BenchStore.withDatabase("postgresql://db", "kw_bench_1"));
    assertEquals("jdbc:postgresql://db:5433/kw_bench_1?user=kw&sslmode=require",
        BenchStore.withDatabase("jdbc:postgresql://db:5433/admin?user=kw&sslmode=require", "kw_bench_1"));
    assertEquals("postgresql://db/kw_bench_1?sslmode=require",
        BenchStore.withDatabase("postgresql://db?sslmode=require", "kw_bench_1"));
  }

  private static String message(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of(args))).getMessage();
  }

  @Test
  void parsesBothFlagForms() {
    LoadOptions o = LoadOptions.parse(List.of(
        "--in-flight=8", "--warmup", "500ms", "--duration", "PT3S", "--channels=3", "--deadline", "2s",
        "--time-limit", "1m", "--out", "r.json", "--data-dir=/var/tmp"));
    assertEquals(8, o.inFlight());
    assertEquals(Duration.ofMillis(500), o.warmup());
    assertEquals(Duration.ofSeconds(3), o.duration());
    assertEquals(3, o.channels());
    assertEquals(Duration.ofSeconds(2), o.deadline());
    assertEquals(Duration.ofMinutes(1), o.timeLimit());
    assertEquals(Optional.of(Path.of("r.json")), o.out());
    assertEquals(Optional.of(Path.of("/var/tmp")), o.dataDir());
  }

  @Test
  void rejectsBadValuesWithWhatWasGiven() {
    assertEquals("in-flight must be within 1..10000, got 0",
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of("--in-flight", "0"))).getMessage());
    assertEquals("duration must be positive, got PT0S",
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of("--duration", "0s"))).getMessage());
    assertEquals("--warmup must be a duration such as 500ms, 15s, 2m or PT15S, got '5'",
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of("--warmup", "5"))).getMessage());
    assertEquals("unknown flag '--inflight'",
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of("--inflight", "4"))).getMessage());
    assertEquals("--out needs a value",
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of("--out"))).getMessage());
  }

  @Test
  void driverIsJavaUnlessH2loadIsAsked() {
    assertEquals(LoadOptions.Driver.JAVA, LoadOptions.parse(List.of()).driver());
    assertEquals(LoadOptions.Driver.H2LOAD, LoadOptions.parse(List.of("--driver", "H2load")).driver());
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(List.of("--driver", "wrk")));
    assertEquals("--driver must be java or h2load, got 'wrk'", unknown.getMessage());
    // h2load opens the same number of streams on every connection
    assertThrows(IllegalArgumentException.class,
        () -> LoadOptions.parse(List.of("--driver", "h2load", "--in-flight", "63", "--channels", "2")));
  }
}
