package io.keyward.keyserver.identity;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Immutable, validated settings for {@link JwtTokenVerifier}: the audience tokens must name, the
 * allowed clock skew, the trusted issuers and the cache and refresh bounds. Build with {@link
 * #builder()}; every bad value fails at once with what was received and what is allowed.
 */
public final class IdentitySettings {
  static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);

  private final String audience;
  private final Duration clockSkew;
  private final Clock clock;
  private final List<TrustedIssuer> issuers;
  private final Duration jwksRefreshMinInterval;
  private final Duration jwksMaxAge;
  private final long tokenCacheMaxEntries;
  private final Duration tokenCacheMaxAge;

  private IdentitySettings(Builder b) {
    this.audience = b.audience;
    this.clockSkew = b.clockSkew;
    this.clock = b.clock;
    this.issuers = List.copyOf(b.issuers);
    this.jwksRefreshMinInterval = b.jwksRefreshMinInterval;
    this.jwksMaxAge = b.jwksMaxAge;
    this.tokenCacheMaxEntries = b.tokenCacheMaxEntries;
    this.tokenCacheMaxAge = b.tokenCacheMaxAge;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The value that must appear in every token's {@code aud}. */
  public String audience() {
    return audience;
  }

  /** Tolerance applied to {@code exp}, {@code nbf} and {@code iat}. */
  public Duration clockSkew() {
    return clockSkew;
  }

  /** The source of "now" for every time check, cache expiry and refresh limit. */
  public Clock clock() {
    return clock;
  }

  public List<TrustedIssuer> issuers() {
    return issuers;
  }

  /** Shortest time between two JWKS loads of one issuer, however many unknown {@code kid}s arrive. */
  public Duration jwksRefreshMinInterval() {
    return jwksRefreshMinInterval;
  }

  /** Age after which an issuer's keys are reloaded even when every {@code kid} is known. */
  public Duration jwksMaxAge() {
    return jwksMaxAge;
  }

  public long tokenCacheMaxEntries() {
    return tokenCacheMaxEntries;
  }

  /**
   * Longest time a verified token is trusted without checking its signature again (never past its
   * {@code exp}); bounds how long a key removed from the JWKS keeps working for cached tokens.
   */
  public Duration tokenCacheMaxAge() {
    return tokenCacheMaxAge;
  }

  @Override
  public String toString() {
    return "IdentitySettings{audience=" + audience + ", clockSkew=" + clockSkew + ", issuers=" + issuers + "}";
  }

  /** Validating builder. {@code audience} and at least one issuer are required. */
  public static final class Builder {
    private String audience;
    private Duration clockSkew = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private final List<TrustedIssuer> issuers = new ArrayList<>();
    private Duration jwksRefreshMinInterval = Duration.ofSeconds(30);
    private Duration jwksMaxAge = Duration.ofMinutes(5);
    private long tokenCacheMaxEntries = 100_000;
    private Duration tokenCacheMaxAge = Duration.ofMinutes(5);

    private Builder() {}

    public Builder audience(String audience) {
      if (audience == null || audience.isBlank()) {
        throw new IllegalArgumentException("audience must not be empty, got \"" + audience + "\"");
      }
      this.audience = audience;
      return this;
    }

    /** Between 0 and 60 seconds; default 30 seconds. */
    public Builder clockSkew(Duration skew) {
      Objects.requireNonNull(skew, "clockSkew");
      if (skew.isNegative() || skew.compareTo(MAX_CLOCK_SKEW) > 0) {
        throw new IllegalArgumentException("clock skew must be between PT0S and " + MAX_CLOCK_SKEW + ", got " + skew);
      }
      this.clockSkew = skew;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder addIssuer(TrustedIssuer issuer) {
      this.issuers.add(Objects.requireNonNull(issuer, "issuer"));
      return this;
    }

    /** Between 1 second and 1 hour; default 30 seconds. */
    public Builder jwksRefreshMinInterval(Duration interval) {
      this.jwksRefreshMinInterval = within("JWKS refresh min interval", interval, Duration.ofSeconds(1), Duration.ofHours(1));
      return this;
    }

    /** Between 10 seconds and 24 hours; default 5 minutes. */
    public Builder jwksMaxAge(Duration maxAge) {
      this.jwksMaxAge = within("JWKS max age", maxAge, Duration.ofSeconds(10), Duration.ofHours(24));
      return this;
    }

    /** Between 1 and 10,000,000; default 100,000. */
    public Builder tokenCacheMaxEntries(long maxEntries) {
      if (maxEntries < 1 || maxEntries > 10_000_000) {
        throw new IllegalArgumentException("token cache max entries must be between 1 and 10000000, got " + maxEntries);
      }
      this.tokenCacheMaxEntries = maxEntries;
      return this;
    }

    /** Between 1 second and 1 hour; default 5 minutes. */
    public Builder tokenCacheMaxAge(Duration maxAge) {
      this.tokenCacheMaxAge = within("token cache max age", maxAge, Duration.ofSeconds(1), Duration.ofHours(1));
      return this;
    }

    public IdentitySettings build() {
      if (audience == null) {
        throw new IllegalArgumentException("audience is required");
      }
      if (issuers.isEmpty()) {
        throw new IllegalArgumentException("at least one trusted issuer is required");
      }
      Set<String> seen = new HashSet<>();
      for (TrustedIssuer issuer : issuers) {
        if (!seen.add(issuer.issuer())) {
          throw new IllegalArgumentException("issuer " + issuer.issuer() + " is configured twice");
        }
      }
      return new IdentitySettings(this);
    }

    private static Duration within(String what, Duration value, Duration min, Duration max) {
      Objects.requireNonNull(value, what);
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new IllegalArgumentException(what + " must be between " + min + " and " + max + ", got " + value);
      }
      return value;
    }
  }
}
