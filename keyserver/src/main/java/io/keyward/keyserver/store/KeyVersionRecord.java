package io.keyward.keyserver.store;

import java.time.Instant;
import java.util.Optional;

/**
 * One stored version of a named key.
 *
 * @param wrappedSecret the version's 256-bit secret wrapped by the root key; empty once destroyed
 * @param destroyAt when a scheduled destruction happens (DESTROY_SCHEDULED) or happened (DESTROYED)
 * @param dataKeysIssued data keys issued under this version, as last flushed to the store
 */
public record KeyVersionRecord(
    int version,
    VersionState state,
    Instant createdAt,
    Optional<Instant> destroyAt,
    long dataKeysIssued,
    Optional<WrappedSecret> wrappedSecret) {}
