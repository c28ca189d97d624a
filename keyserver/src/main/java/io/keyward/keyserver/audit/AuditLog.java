package io.keyward.keyserver.audit;

import java.util.List;

/**
 * Append-only, hash-chained audit log. Thread-safe.
 *
 * <p>{@link #append} returns only once the record is durable; when it cannot be written it throws
 * {@code KeyserverException(UNAVAILABLE)} and the caller must fail the operation (fail closed).
 * Implementations may commit many concurrent appends in one transaction (group commit).
 */
public interface AuditLog extends AutoCloseable {

  void append(AuditEvent event);

  /** Records with sequence &gt; {@code afterSequence}, oldest first, at most {@code limit}. */
  List<AuditRecord> list(long afterSequence, int limit);

  /** The newest {@code limit} records, oldest first. */
  List<AuditRecord> tail(int limit);

  /** Walks the whole chain; names the first record that was edited, or follows a deleted one. */
  ChainVerification verify();

  @Override
  void close();
}
