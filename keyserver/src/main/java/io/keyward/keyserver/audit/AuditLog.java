package io.keyward.keyserver.audit;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Append-only, hash-chained audit log. Thread-safe.
 *
 * <p>{@link #append} returns only once the record is durable; when it cannot be written it throws
 * {@code KeyserverException(UNAVAILABLE)} and the caller must fail the operation (fail closed).
 * Implementations may commit many concurrent appends in one transaction (group commit).
 */
public interface AuditLog extends AutoCloseable {

  void append(AuditEvent event);

  /**
   * Queues {@code event} without blocking. The future completes once the record is durable, or
   * exceptionally with {@code KeyserverException(UNAVAILABLE)} when it was not written in time,
   * the write failed, the queue is full or the log is closed; the caller must then fail its
   * operation. Completions run on the log's writer thread: keep them short and never block there.
   */
  CompletableFuture<Void> appendAsync(AuditEvent event);

  /** Records with sequence &gt; {@code afterSequence}, oldest first, at most {@code limit}. */
  List<AuditRecord> list(long afterSequence, int limit);

  /** The newest {@code limit} records, oldest first. */
  List<AuditRecord> tail(int limit);

  /** Walks the whole chain; names the first record that was edited, or follows a deleted one. */
  ChainVerification verify();

  @Override
  void close();
}
