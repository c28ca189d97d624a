package io.keyward.keyserver.audit;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of {@link JdbcAuditLog}. Immutable; build with {@link #builder()}.
 *
 * @param appendTimeout how long {@code append} waits for its record to be committed before it fails
 *     with UNAVAILABLE
 * @param maxBatchSize most records committed in one transaction (group commit)
 * @param queueCapacity most appends waiting for the writer; beyond it {@code append} waits
 */
public record AuditLogSettings(Duration appendTimeout, int maxBatchSize, int queueCapacity) {
  public static final AuditLogSettings DEFAULTS = builder().build();

  public AuditLogSettings {
    Objects.requireNonNull(appendTimeout, "appendTimeout");
    if (appendTimeout.isNegative() || appendTimeout.isZero()) {
      throw new IllegalArgumentException(
          "audit append timeout must be positive, got " + appendTimeout);
    }
    if (maxBatchSize < 1 || maxBatchSize > 100_000) {
      throw new IllegalArgumentException(
          "audit max batch size must be within 1..100000, got " + maxBatchSize);
    }
    if (queueCapacity < maxBatchSize) {
      throw new IllegalArgumentException(
          "audit queue capacity must be at least the max batch size ("
              + maxBatchSize
              + "), got "
              + queueCapacity);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Validating builder; every setter checks at {@link #build()}. */
  public static final class Builder {
    private Duration appendTimeout = Duration.ofSeconds(5);
    private int maxBatchSize = 4_096;
    private int queueCapacity = 65_536;

    private Builder() {}

    public Builder appendTimeout(Duration appendTimeout) {
      this.appendTimeout = appendTimeout;
      return this;
    }

    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    public Builder queueCapacity(int queueCapacity) {
      this.queueCapacity = queueCapacity;
      return this;
    }

    public AuditLogSettings build() {
      return new AuditLogSettings(appendTimeout, maxBatchSize, queueCapacity);
    }
  }
}
