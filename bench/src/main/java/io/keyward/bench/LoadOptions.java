package io.keyward.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of one {@link KeyserverLoad} run. Immutable; build with {@link #builder()} or parse
 * command-line flags with {@link #parse(List)}.
 */
public final class LoadOptions {
  /** Where a PostgreSQL run creates its database unless told otherwise: the machine's server. */
  public static final String DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

  static final String USAGE = """
      usage: KeyserverLoad [--in-flight N] [--warmup D] [--duration D] [--channels N]
                           [--deadline D] [--time-limit D] [--out FILE] [--data-dir DIR]
                           [--store sqlite|postgresql] [--postgres-url URL] [--replicas N]
                           [--driver java|h2load]
        --in-flight     calls in flight at every moment (default 64)
        --warmup        warm-up per phase, not measured (default 5s)
        --duration      measured time per phase (default 15s)
        --channels      TLS connections the calls are spread over (default 2); channel i
                        goes to replica i mod N, like a Service in front of the replicas
        --deadline      deadline of every call (default 10s)
        --time-limit    the whole run stops after this (default: 3 x (warmup + duration) + 2m)
        --out           also write the results as JSON to FILE
        --data-dir      where the keyserver's files (SQLite database, root key, certificates)
                        go, in a fresh subfolder removed afterwards (default: system temp)
        --store         sqlite (default: one keyserver, one file) or postgresql
        --postgres-url  the PostgreSQL server on which the run creates a fresh database and
                        drops it afterwards; the database in the URL is only connected to for
                        that (default %s)
        --replicas      keyservers started on the one store (default 1; more needs postgresql)
        --driver        java: the Java gRPC client in this JVM, checking every response
                        (default); h2load: nghttp2's native load generator, ~10 us of CPU
                        per call, outcomes checked through the server's per-code counts
                        (one keyserver on SQLite only)
      durations: 500ms, 15s, 2m or ISO-8601 (PT15S)""".formatted(DEFAULT_POSTGRES_URL);

  /** The keyserver's store in a run. */
  public enum Store {
    SQLITE,
    POSTGRESQL;

    static Store parse(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "sqlite" -> SQLITE;
        case "postgresql", "postgres" -> POSTGRESQL;
        default -> throw new IllegalArgumentException("--store must be sqlite or postgresql, got '" + value + "'");
      };
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final int inFlight;
  private final Duration warmup;
  private final Duration duration;
  private final int channels;
  private final Duration deadline;
  private final Duration timeLimit;
  private final Optional<Path> out;
  private final Optional<Path> dataDir;
  private final Store store;
  private final String postgresUrl;
  private final int replicas;
  private final Driver driver;

  /** What sends the calls. */
  public enum Driver { JAVA, H2LOAD }

  private LoadOptions(Builder b) {
    this.inFlight = b.inFlight;
    this.warmup = b.warmup;
    this.duration = b.duration;
    this.channels = b.channels;
    this.deadline = b.deadline;
    this.timeLimit = b.timeLimit != null
        ? b.timeLimit
        : warmup.plus(duration).multipliedBy(3).plus(Duration.ofMinutes(2));
    this.out = b.out;
    this.dataDir = b.dataDir;
    this.store = b.store;
    this.postgresUrl = b.postgresUrl != null ? b.postgresUrl : DEFAULT_POSTGRES_URL;
    this.replicas = b.replicas;
    this.driver = b.driver;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses {@code --name value} or {@code --name=value} flags.
   *
   * @throws IllegalArgumentException naming the flag and the bad value; unknown flags are errors
   */
  public static LoadOptions parse(List<String> args) {
    Builder b = builder();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      switch (name) {
        case "--in-flight" -> b.inFlight(integer(name, value));
        case "--warmup" -> b.warmup(duration(name, value));
        case "--duration" -> b.duration(duration(name, value));
        case "--channels" -> b.channels(integer(name, value));
        case "--deadline" -> b.deadline(duration(name, value));
        case "--time-limit" -> b.timeLimit(duration(name, value));
        case "--out" -> b.out(Path.of(value));
        case "--data-dir" -> b.dataDir(Path.of(value));
        case "--store" -> b.store(Store.parse(value));
        case "--postgres-url" -> b.postgresUrl(value);
        case "--replicas" -> b.replicas(integer(name, value));
        case "--driver" -> b.driver(driver(name, value));
        default -> throw new IllegalArgumentException("unknown flag '" + name + "'");
      }
    }
    return b.build();
  }

  /** Calls kept in flight during every phase. */
  public int inFlight() { return inFlight; }

  /** Unmeasured time at the start of each phase. */
  public Duration warmup() { return warmup; }

  /** Measured time of each phase. */
  public Duration duration() { return duration; }

  /** TLS connections (gRPC channels) the calls are spread over, round robin. */
  public int channels() { return channels; }

  /** Deadline set on every call. */
  public Duration deadline() { return deadline; }

  /** The run is abandoned (and fails) when it takes longer than this, start-up included. */
  public Duration timeLimit() { return timeLimit; }

  /** Where the JSON results go, if anywhere. */
  public Optional<Path> out() { return out; }

  /** The folder in which the keyserver's files are created; empty for the system temp folder. */
  public Optional<Path> dataDir() { return dataDir; }

  /** What sends the calls: the Java gRPC client or h2load. */
  public Driver driver() { return driver; }

  /** The store every keyserver of the run uses. */
  public Store store() { return store; }

  /**
   * The PostgreSQL server (and the database to connect to) on which a {@link Store#POSTGRESQL}
   * run creates its own database; {@link #DEFAULT_POSTGRES_URL} unless set.
   */
  public String postgresUrl() { return postgresUrl; }

  /** Keyservers started on the one store; the channels are spread over them round robin. */
  public int replicas() { return replicas; }

  @Override
  public String toString() {
    return "driver=" + driver.name().toLowerCase(Locale.ROOT) + ", store=" + store + ", replicas=" + replicas
        + ", in-flight=" + inFlight + ", warmup=" + warmup
        + ", duration=" + duration + ", channels=" + channels + ", deadline=" + deadline
        + ", time-limit=" + timeLimit + dataDir.map(d -> ", data-dir=" + d).orElse("");
  }

  static int integer(String flag, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be a whole number, got '" + value + "'");
    }
  }

  static Driver driver(String flag, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "java" -> Driver.JAVA;
      case "h2load" -> Driver.H2LOAD;
      default -> throw new IllegalArgumentException(flag + " must be java or h2load, got '" + value + "'");
    };
  }

  static Duration duration(String flag, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("p")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, Math.max(0, v.length() - 1)));
      switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
        case 's': return Duration.ofSeconds(n);
        case 'm': return Duration.ofMinutes(n);
        case 'h': return Duration.ofHours(n);
        default: break;
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      // fall through to the common message
    }
    throw new IllegalArgumentException(
        flag + " must be a duration such as 500ms, 15s, 2m or PT15S, got '" + value + "'");
  }

  /** Validating builder; defaults are those of the issue (64 in flight, 5 s warm-up, 15 s). */
  public static final class Builder {
    private int inFlight = 64;
    private Duration warmup = Duration.ofSeconds(5);
    private Duration duration = Duration.ofSeconds(15);
    private int channels = 2;
    private Duration deadline = Duration.ofSeconds(10);
    private Duration timeLimit;
    private Optional<Path> out = Optional.empty();
    private Optional<Path> dataDir = Optional.empty();
    private Store store = Store.SQLITE;
    private String postgresUrl;
    private int replicas = 1;
    private Driver driver = Driver.JAVA;

    private Builder() {}

    public Builder inFlight(int v) {
      this.inFlight = within("in-flight", v, 10_000);
      return this;
    }

    public Builder warmup(Duration v) {
      if (v.isNegative()) {
        throw new IllegalArgumentException("warm-up must not be negative, got " + v);
      }
      this.warmup = v;
      return this;
    }

    public Builder duration(Duration v) {
      this.duration = positive("duration", v);
      return this;
    }

    public Builder channels(int v) {
      this.channels = within("channels", v, 64);
      return this;
    }

    public Builder deadline(Duration v) {
      this.deadline = positive("deadline", v);
      return this;
    }

    public Builder timeLimit(Duration v) {
      this.timeLimit = positive("time limit", v);
      return this;
    }

    public Builder out(Path v) {
      this.out = Optional.of(Objects.requireNonNull(v, "out"));
      return this;
    }

    public Builder dataDir(Path v) {
      this.dataDir = Optional.of(Objects.requireNonNull(v, "dataDir"));
      return this;
    }

    public Builder driver(Driver v) {
      this.driver = Objects.requireNonNull(v, "driver");
      return this;
    }

    public Builder store(Store v) {
      this.store = Objects.requireNonNull(v, "store");
      return this;
    }

    /** Checked for its form here; whether the server answers is found out when the run starts. */
    public Builder postgresUrl(String v) {
      this.postgresUrl = BenchStore.checkPostgresUrl(v);
      return this;
    }

    public Builder replicas(int v) {
      this.replicas = within("replicas", v, 16);
      return this;
    }

    /**
     * @throws IllegalArgumentException for combinations that cannot run: several replicas or a
     *     PostgreSQL URL on SQLite, or channels that cannot be shared evenly between the replicas
     */
    public LoadOptions build() {
      if (store == Store.SQLITE && replicas > 1) {
        throw new IllegalArgumentException("--replicas " + replicas
            + " needs --store postgresql: an SQLite file serves one keyserver");
      }
      if (store == Store.SQLITE && postgresUrl != null) {
        throw new IllegalArgumentException("--postgres-url is only used with --store postgresql");
      }
      if (channels % replicas != 0) {
        throw new IllegalArgumentException("--channels must be a multiple of --replicas so that every replica"
            + " gets the same share of the calls, got " + channels + " channels for " + replicas + " replicas");
      }
      if (driver == Driver.H2LOAD && (store != Store.SQLITE || replicas != 1)) {
        throw new IllegalArgumentException("--driver h2load drives one keyserver on SQLite");
      }
      if (driver == Driver.H2LOAD && inFlight % channels != 0) {
        throw new IllegalArgumentException("with --driver h2load, in-flight (" + inFlight
            + ") must be a multiple of channels (" + channels + "): h2load opens the same streams on every connection");
      }
      return new LoadOptions(this);
    }

    private static int within(String what, int v, int max) {
      if (v < 1 || v > max) {
        throw new IllegalArgumentException(what + " must be within 1.." + max + ", got " + v);
      }
      return v;
    }

    private static Duration positive(String what, Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + v);
      }
      return v;
    }
  }
}
