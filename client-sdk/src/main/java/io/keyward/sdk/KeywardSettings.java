package io.keyward.sdk;

import io.keyward.sdk.aead.MessageEncrypter;
import io.keyward.sdk.format.Header;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Immutable, validated settings of a {@link KeywardClient}. Build with {@link #builder()}; every
 * setter rejects a bad value at once with a message that says what was given and what is allowed.
 */
public final class KeywardSettings {
  public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_DATA_KEY_MAX_AGE = Duration.ofMinutes(5);
  public static final long DEFAULT_DATA_KEY_MAX_MESSAGES = 1L << 24;
  public static final long DEFAULT_DATA_KEY_MAX_BYTES = 1L << 32;
  public static final Duration DEFAULT_DECRYPT_KEY_MAX_AGE = Duration.ofMinutes(5);
  public static final long DEFAULT_MAX_CACHED_DATA_KEYS = 1000;

  private static final Duration MAX_DEADLINE = Duration.ofMinutes(5);
  private static final Duration MAX_AGE_LIMIT = Duration.ofDays(1);

  private final String keyserverAddress;
  private final Path trustedCaFile;
  private final boolean insecurePlaintext;
  private final TokenSource tokenSource;
  private final Duration callDeadline;
  private final String defaultKeyName;
  private final Duration dataKeyMaxAge;
  private final long dataKeyMaxMessages;
  private final long dataKeyMaxBytes;
  private final Duration decryptKeyMaxAge;
  private final Duration decryptGracePeriod;
  private final long maxCachedDataKeys;
  private final Clock clock;
  private final Executor asyncExecutor;

  private KeywardSettings(Builder b) {
    this.keyserverAddress = b.keyserverAddress;
    this.trustedCaFile = b.trustedCaFile;
    this.insecurePlaintext = b.insecurePlaintext;
    this.tokenSource = b.tokenSource;
    this.callDeadline = b.callDeadline;
    this.defaultKeyName = b.defaultKeyName;
    this.dataKeyMaxAge = b.dataKeyMaxAge;
    this.dataKeyMaxMessages = b.dataKeyMaxMessages;
    this.dataKeyMaxBytes = b.dataKeyMaxBytes;
    this.decryptKeyMaxAge = b.decryptKeyMaxAge;
    this.decryptGracePeriod = b.decryptGracePeriod;
    this.maxCachedDataKeys = b.maxCachedDataKeys;
    this.clock = b.clock;
    this.asyncExecutor = b.asyncExecutor;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** gRPC target of the keyserver, e.g. {@code keyward.keyward-system.svc:8443}. */
  public Optional<String> keyserverAddress() {
    return Optional.ofNullable(keyserverAddress);
  }

  /** PEM file of the CA(s) that sign the keyserver's certificate; empty: the JDK's trust store. */
  public Optional<Path> trustedCaFile() {
    return Optional.ofNullable(trustedCaFile);
  }

  public boolean insecurePlaintext() {
    return insecurePlaintext;
  }

  public TokenSource tokenSource() {
    return tokenSource;
  }

  public Duration callDeadline() {
    return callDeadline;
  }

  public Optional<String> defaultKeyName() {
    return Optional.ofNullable(defaultKeyName);
  }

  public Duration dataKeyMaxAge() {
    return dataKeyMaxAge;
  }

  public long dataKeyMaxMessages() {
    return dataKeyMaxMessages;
  }

  public long dataKeyMaxBytes() {
    return dataKeyMaxBytes;
  }

  public Duration decryptKeyMaxAge() {
    return decryptKeyMaxAge;
  }

  public Duration decryptGracePeriod() {
    return decryptGracePeriod;
  }

  public long maxCachedDataKeys() {
    return maxCachedDataKeys;
  }

  /** The clock that cache ages are measured on; empty: the JVM's monotonic nano timer. */
  public Optional<Clock> clock() {
    return Optional.ofNullable(clock);
  }

  /** Executor for the async variants; empty: the client's own small daemon pool. */
  public Optional<Executor> asyncExecutor() {
    return Optional.ofNullable(asyncExecutor);
  }

  @Override
  public String toString() {
    return "KeywardSettings[keyserverAddress=" + keyserverAddress
        + ", trustedCaFile=" + trustedCaFile
        + ", insecurePlaintext=" + insecurePlaintext
        + ", tokenSource=" + tokenSource
        + ", callDeadline=" + callDeadline
        + ", defaultKeyName=" + defaultKeyName
        + ", dataKeyMaxAge=" + dataKeyMaxAge
        + ", dataKeyMaxMessages=" + dataKeyMaxMessages
        + ", dataKeyMaxBytes=" + dataKeyMaxBytes
        + ", decryptKeyMaxAge=" + decryptKeyMaxAge
        + ", decryptGracePeriod=" + decryptGracePeriod
        + ", maxCachedDataKeys=" + maxCachedDataKeys + "]";
  }

  /** Builder with safe defaults; only the token source is required. */
  public static final class Builder {
    private String keyserverAddress;
    private Path trustedCaFile;
    private boolean insecurePlaintext;
    private TokenSource tokenSource;
    private Duration callDeadline = DEFAULT_CALL_DEADLINE;
    private String defaultKeyName;
    private Duration dataKeyMaxAge = DEFAULT_DATA_KEY_MAX_AGE;
    private long dataKeyMaxMessages = DEFAULT_DATA_KEY_MAX_MESSAGES;
    private long dataKeyMaxBytes = DEFAULT_DATA_KEY_MAX_BYTES;
    private Duration decryptKeyMaxAge = DEFAULT_DECRYPT_KEY_MAX_AGE;
    private Duration decryptGracePeriod = Duration.ZERO;
    private long maxCachedDataKeys = DEFAULT_MAX_CACHED_DATA_KEYS;
    private Clock clock;
    private Executor asyncExecutor;

    private Builder() {}

    /** gRPC target ({@code host:port} or a URI such as {@code dns:///host:port}). */
    public Builder keyserverAddress(String target) {
      if (target == null || target.isBlank()) {
        throw new IllegalArgumentException("keyserver address must not be blank, got '" + target
            + "'");
      }
      this.keyserverAddress = target.strip();
      return this;
    }

    /** Trusts only the CAs in this PEM file for the keyserver's TLS certificate. */
    public Builder trustedCaFile(Path caFile) {
      if (caFile == null || !Files.isRegularFile(caFile) || !Files.isReadable(caFile)) {
        throw new IllegalArgumentException(
            "trusted CA file must be a readable file, got " + caFile);
      }
      this.trustedCaFile = caFile;
      return this;
    }

    /**
     * Talks to the keyserver without TLS. For local development only: tokens and data keys then
     * cross the network in the clear.
     */
    public Builder insecurePlaintextForDevelopment() {
      this.insecurePlaintext = true;
      return this;
    }

    public Builder tokenSource(TokenSource tokenSource) {
      this.tokenSource = Objects.requireNonNull(tokenSource, "token source must not be null");
      return this;
    }

    /** Deadline of every keyserver call (default 5 s; at most 5 min). */
    public Builder callDeadline(Duration deadline) {
      this.callDeadline = positive("call deadline", deadline, MAX_DEADLINE);
      return this;
    }

    /** Key used by the verbs that take no key name. */
    public Builder defaultKeyName(String keyName) {
      Header.keyNameBytes(keyName); // throws with the reason
      this.defaultKeyName = keyName;
      return this;
    }

    /** How long one data key keeps encrypting new messages (default 5 min). */
    public Builder dataKeyMaxAge(Duration maxAge) {
      this.dataKeyMaxAge = positive("data key max-age", maxAge, MAX_AGE_LIMIT);
      return this;
    }

    /**
     * Messages one data key encrypts before it is replaced (default 2^24). At most 2^32: the SDK
     * refuses anything larger, whatever is configured (see docs/ciphertext-format.md, "Nonces").
     */
    public Builder dataKeyMaxMessages(long maxMessages) {
      if (maxMessages < 1 || maxMessages > MessageEncrypter.MAX_MESSAGES_PER_DEK) {
        throw new IllegalArgumentException("data key max-messages must be 1.."
            + MessageEncrypter.MAX_MESSAGES_PER_DEK + ", got " + maxMessages);
      }
      this.dataKeyMaxMessages = maxMessages;
      return this;
    }

    /**
     * Plaintext bytes one data key encrypts before it is replaced (default 4 GiB, at most 2^40).
     * It also bounds a single message; bigger payloads go through the streaming API.
     */
    public Builder dataKeyMaxBytes(long maxBytes) {
      if (maxBytes < 1 || maxBytes > MessageEncrypter.MAX_BYTES_PER_DEK) {
        throw new IllegalArgumentException("data key max-bytes must be 1.."
            + MessageEncrypter.MAX_BYTES_PER_DEK + ", got " + maxBytes);
      }
      this.dataKeyMaxBytes = maxBytes;
      return this;
    }

    /** How long an unwrapped data key is reused for decryption (default 5 min). */
    public Builder decryptKeyMaxAge(Duration maxAge) {
      this.decryptKeyMaxAge = positive("decrypt key max-age", maxAge, MAX_AGE_LIMIT);
      return this;
    }

    /**
     * Extra time a cached decryption key may be used past its max-age, only while the keyserver
     * is unavailable (default zero). A keyserver that answers, even with a refusal, ends it.
     */
    public Builder decryptGracePeriod(Duration grace) {
      if (grace == null || grace.isNegative() || grace.compareTo(MAX_AGE_LIMIT) > 0) {
        throw new IllegalArgumentException(
            "decrypt grace period must be between PT0S and " + MAX_AGE_LIMIT + ", got " + grace);
      }
      this.decryptGracePeriod = grace;
      return this;
    }

    /** Bound on data keys held by each of the two caches (default 1000). */
    public Builder maxCachedDataKeys(long max) {
      if (max < 1 || max > 1_000_000) {
        throw new IllegalArgumentException(
            "max cached data keys must be 1..1000000, got " + max);
      }
      this.maxCachedDataKeys = max;
      return this;
    }

    /** Clock for cache ages (tests pass a fake one). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    /** Executor that runs the async variants. The client does not shut it down. */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "executor must not be null");
      return this;
    }

    /**
     * @throws IllegalStateException when no token source was given, or when TLS trust and
     *     plaintext were both configured
     */
    public KeywardSettings build() {
      if (tokenSource == null) {
        throw new IllegalStateException("a token source is required");
      }
      if (insecurePlaintext && trustedCaFile != null) {
        throw new IllegalStateException(
            "trusted CA file and insecure plaintext exclude each other");
      }
      return new KeywardSettings(this);
    }

    private static Duration positive(String what, Duration d, Duration max) {
      if (d == null || d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            what + " must be positive and at most " + max + ", got " + d);
      }
      return d;
    }
  }
}
