package io.keyward.sidecar.kms;

import io.keyward.sdk.TokenSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Immutable, validated settings of a {@link KmsPlugin}. Every setter of the {@link Builder}
 * rejects a bad value at once, saying what it got and what is allowed.
 */
public final class KmsPluginSettings {
  public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(2);
  public static final Duration DEFAULT_STATE_MAX_AGE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_SEED_CACHE_TTL = Duration.ofHours(1);
  public static final long DEFAULT_SEED_CACHE_MAX_ENTRIES = 10_000;

  // The keyserver's key-name rule (io.keyward.keyserver.keys.KeyNames); a name has no ':'.
  private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Duration MAX_DURATION = Duration.ofDays(1);

  private final Path socket;
  private final String keyName;
  private final String keyserverAddress;
  private final Path caCertificate;
  private final TokenSource tokenSource;
  private final Duration callDeadline;
  private final Duration stateMaxAge;
  private final Duration seedCacheTtl;
  private final long seedCacheMaxEntries;
  private final Clock clock;

  private KmsPluginSettings(Builder b) {
    this.socket = b.socket;
    this.keyName = b.keyName;
    this.keyserverAddress = b.keyserverAddress;
    this.caCertificate = b.caCertificate;
    this.tokenSource = b.tokenSource;
    this.callDeadline = b.callDeadline;
    this.stateMaxAge = b.stateMaxAge;
    this.seedCacheTtl = b.seedCacheTtl;
    this.seedCacheMaxEntries = b.seedCacheMaxEntries;
    this.clock = b.clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Absolute path of the Unix domain socket kube-apiserver connects to. */
  public Path socket() {
    return socket;
  }

  /** The Keyward key that wraps kube-apiserver's seeds. */
  public String keyName() {
    return keyName;
  }

  /** gRPC target of the keyserver, {@code host:port}; always reached over TLS. */
  public String keyserverAddress() {
    return keyserverAddress;
  }

  /** PEM file of the CA(s) that sign the keyserver's certificate; empty: the JDK's trust store. */
  public Optional<Path> caCertificate() {
    return Optional.ofNullable(caCertificate);
  }

  public TokenSource tokenSource() {
    return tokenSource;
  }

  /** Deadline of every keyserver call. */
  public Duration callDeadline() {
    return callDeadline;
  }

  /**
   * How long a Status answer and the key's metadata (primary version, minimum decryption
   * version, version states) are reused: a rotation or a raised minimum is seen within this.
   */
  public Duration stateMaxAge() {
    return stateMaxAge;
  }

  /** How long an unwrapped seed stays cached after it was fetched. */
  public Duration seedCacheTtl() {
    return seedCacheTtl;
  }

  public long seedCacheMaxEntries() {
    return seedCacheMaxEntries;
  }

  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "KmsPluginSettings{socket=" + socket + ", key=" + keyName + ", keyserver=" + keyserverAddress
        + ", caCertificate=" + caCertificate + ", tokenSource=" + tokenSource + ", callDeadline=" + callDeadline
        + ", stateMaxAge=" + stateMaxAge + ", seedCacheTtl=" + seedCacheTtl + ", seedCacheMaxEntries="
        + seedCacheMaxEntries + "}";
  }

  /** Collects and validates settings; {@link #build()} checks that the required ones are set. */
  public static final class Builder {
    private Path socket;
    private String keyName;
    private String keyserverAddress;
    private Path caCertificate;
    private TokenSource tokenSource;
    private Duration callDeadline = DEFAULT_CALL_DEADLINE;
    private Duration stateMaxAge = DEFAULT_STATE_MAX_AGE;
    private Duration seedCacheTtl = DEFAULT_SEED_CACHE_TTL;
    private long seedCacheMaxEntries = DEFAULT_SEED_CACHE_MAX_ENTRIES;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder socket(Path socket) {
      Objects.requireNonNull(socket, "socket");
      if (!socket.isAbsolute() || socket.getFileName() == null) {
        throw new IllegalArgumentException("socket must be an absolute file path, got " + socket);
      }
      // sun_path holds 108 bytes including the terminating NUL.
      if (socket.toString().getBytes(StandardCharsets.UTF_8).length > 107) {
        throw new IllegalArgumentException("socket path must be at most 107 bytes, got " + socket);
      }
      this.socket = socket;
      return this;
    }

    public Builder keyName(String keyName) {
      if (keyName == null || !KEY_NAME.matcher(keyName).matches()) {
        throw new IllegalArgumentException(
            "key name must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit, got "
                + (keyName == null ? "nothing" : '"' + keyName + '"'));
      }
      this.keyName = keyName;
      return this;
    }

    public Builder keyserverAddress(String address) {
      if (address == null || address.isBlank() || address.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("keyserver address must be host:port, got "
            + (address == null ? "nothing" : '"' + address + '"'));
      }
      this.keyserverAddress = address;
      return this;
    }

    public Builder caCertificate(Path caCertificate) {
      this.caCertificate = Objects.requireNonNull(caCertificate, "caCertificate");
      return this;
    }

    public Builder tokenSource(TokenSource tokenSource) {
      this.tokenSource = Objects.requireNonNull(tokenSource, "tokenSource");
      return this;
    }

    public Builder callDeadline(Duration deadline) {
      this.callDeadline = positive("call deadline", deadline);
      return this;
    }

    public Builder stateMaxAge(Duration maxAge) {
      this.stateMaxAge = positive("state max-age", maxAge);
      return this;
    }

    public Builder seedCacheTtl(Duration ttl) {
      this.seedCacheTtl = positive("seed cache TTL", ttl);
      return this;
    }

    public Builder seedCacheMaxEntries(long maxEntries) {
      if (maxEntries < 1 || maxEntries > 1_000_000) {
        throw new IllegalArgumentException("seed cache max entries must be 1..1000000, got " + maxEntries);
      }
      this.seedCacheMaxEntries = maxEntries;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public KmsPluginSettings build() {
      if (socket == null) {
        throw new IllegalStateException("socket is required");
      }
      if (keyName == null) {
        throw new IllegalStateException("key name is required");
      }
      if (keyserverAddress == null) {
        throw new IllegalStateException("keyserver address is required");
      }
      if (tokenSource == null) {
        throw new IllegalStateException("token source is required");
      }
      return new KmsPluginSettings(this);
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException(what + " must be positive and at most " + MAX_DURATION + ", got " + d);
      }
      return d;
    }
  }
}
