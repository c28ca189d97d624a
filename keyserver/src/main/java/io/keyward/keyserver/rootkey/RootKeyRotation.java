package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.keys.KeyCatalog;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.NextWraps;
import io.keyward.keyserver.store.RootKeyMetadata;
import io.keyward.keyserver.store.WrappedSecret;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-wraps every version secret of a store under a new root key, online and crash-safe, such that
 * at every instant one root key alone opens the whole store.
 *
 * <ol>
 *   <li><b>Begin:</b> record the rotation (the new key's id and check value). Nothing
 *       authoritative changes.
 *   <li><b>Backfill:</b> in batches, each one transaction, write a second wrap of each live
 *       version secret under the new key beside the old wrap, which stays authoritative. The old key
 *       alone still opens everything; keyservers holding it keep serving and adding versions.
 *   <li><b>Swap:</b> one transaction wraps versions added meanwhile, makes every new wrap
 *       authoritative, drops the old wraps, stores the new check value and root key id, and retires
 *       the old key. From its commit on the new key alone opens everything.
 * </ol>
 *
 * <p>An interruption before the swap commits leaves a store the old key alone opens; after, one
 * the new key alone opens. Running the rotation again with the same two keys finishes it from
 * wherever it stopped (or reports that it had finished).
 */
public final class RootKeyRotation {
  private static final Logger log = LoggerFactory.getLogger(RootKeyRotation.class);
  public static final int DEFAULT_BATCH_SIZE = 256;

  private RootKeyRotation() {}

  /** Where a rotation has got to; {@link Progress} hears of each. */
  public enum Phase {
    /** The rotation is recorded; no new wrap written yet by this run. */
    BEGUN,
    /** One more version secret wrapped under the new key, in memory (count: by this run). */
    VERSION_REWRAPPED,
    /** A batch of new wraps committed (count: committed by this run). */
    BATCH_STORED,
    /** Every live version has its new wrap; the swap comes next. */
    BACKFILLED,
    /** The swap committed: the store is under the new key (count: versions swapped). */
    SWAPPED
  }

  /** Hears of each phase as the rotation reaches it (the CLI prints progress). */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (phase, count) -> {};

    void reached(Phase phase, int count);
  }

  /**
   * What one run did.
   *
   * @param rewrapped version secrets this run wrapped under the new key
   * @param versions live versions the swap moved to the new key (0 when it had swapped before)
   * @param alreadyDone the store was already under the new key when this run began
   */
  public record Result(int rewrapped, int versions, boolean alreadyDone) {}

  public static Result rotate(JdbcKeyStore store, RootKey oldKey, RootKey newKey)
      throws RootKeyException {
    return rotate(store, oldKey, newKey, DEFAULT_BATCH_SIZE, Progress.NONE);
  }

  /**
   * Rotates {@code store} from {@code oldKey} to {@code newKey}, committing new wraps {@code
   * batchSize} versions at a time. Plaintext secrets exist only in memory, one at a time, and are
   * wiped after re-wrapping; nothing secret is logged.
   *
   * @throws RootKeyException when the keys are the same, the store is under neither key, or a
   *     secret is wrapped by a third root key; nothing authoritative changed
   * @throws io.keyward.keyserver.KeyserverException FAILED_PRECONDITION when a rotation to another
   *     key is in progress, UNAVAILABLE when the store fails: rerun to finish
   */
  public static Result rotate(
      JdbcKeyStore store, RootKey oldKey, RootKey newKey, int batchSize, Progress progress)
      throws RootKeyException {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(oldKey, "oldKey");
    Objects.requireNonNull(newKey, "newKey");
    Objects.requireNonNull(progress, "progress");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (oldKey.id().equals(newKey.id())) {
      throw new RootKeyException("the new root key is the old one (id " + oldKey.id() + ")");
    }
    Optional<byte[]> check = store.metadata(RootKeyMetadata.CHECK);
    if (check.isPresent() && RootKeyCheck.opens(newKey, check.get())) {
      log.info("root key rotation {} -> {} had finished already", oldKey.id(), newKey.id());
      return new Result(0, 0, true);
    }
    // Refuses, before anything changes, an old key that is not the store's.
    RootKeyCheck.verifyOrInitialize(store, oldKey);
    NextWraps next = store.nextWraps();
    next.begin(oldKey.id(), newKey.id(), RootKeyCheck.wrapCheckValue(newKey));
    progress.reached(Phase.BEGUN, 0);

    Rewrapping rewrapping = new Rewrapping(oldKey, newKey, progress);
    int stored = 0;
    Optional<NextWraps.Pending> after = Optional.empty();
    while (true) {
      List<NextWraps.Pending> batch = next.pending(newKey.id(), after, batchSize);
      if (batch.isEmpty()) {
        break;
      }
      List<NextWraps.Staged> staged = new ArrayList<>(batch.size());
      for (NextWraps.Pending pending : batch) {
        staged.add(new NextWraps.Staged(pending, rewrapping.rewrap(pending)));
      }
      stored += next.stage(newKey.id(), staged);
      progress.reached(Phase.BATCH_STORED, stored);
      after = Optional.of(batch.get(batch.size() - 1));
    }
    progress.reached(Phase.BACKFILLED, stored);

    NextWraps.Swap swap;
    try {
      swap = next.swap(oldKey.id(), newKey.id(), rewrapping::rewrapUnchecked);
    } catch (UncheckedRootKeyException e) {
      throw e.getCause();
    }
    progress.reached(Phase.SWAPPED, swap.versions());
    log.info("root key rotation {} -> {} complete: {} versions now under the new key ({} wrapped"
            + " by this run, {} of them during the swap); the old root key is retired",
        oldKey.id(), newKey.id(), swap.versions(), rewrapping.count, swap.rewrappedInSwap());
    return new Result(rewrapping.count, swap.versions(), swap.alreadyDone());
  }

  /**
   * Ends a rotation that has not swapped: drops the new wraps and the rotation record; the store
   * stays under {@code currentKey}. Returns false when none was in progress.
   *
   * @throws RootKeyException when {@code currentKey} is not the key the store is under
   */
  public static boolean abort(JdbcKeyStore store, RootKey currentKey) throws RootKeyException {
    Objects.requireNonNull(store, "store");
    RootKeyCheck.verifyOrInitialize(store, currentKey);
    boolean aborted = store.nextWraps().abort(currentKey.id());
    if (aborted) {
      log.info("root key rotation aborted; the store stays under root key {}", currentKey.id());
    }
    return aborted;
  }

  /** Unwraps with the old key and wraps with the new one, counting and reporting each. */
  private static final class Rewrapping {
    private final RootKey oldKey;
    private final RootKey newKey;
    private final Progress progress;
    private int count;

    Rewrapping(RootKey oldKey, RootKey newKey, Progress progress) {
      this.oldKey = oldKey;
      this.newKey = newKey;
      this.progress = progress;
    }

    WrappedSecret rewrap(NextWraps.Pending pending) throws RootKeyException {
      WrappedSecret current = pending.current();
      if (current.rootKeyId().equals(newKey.id())) {
        // Re-wrapped in place by an older keyserver's rotation: it already is what we need.
        return current;
      }
      if (!current.rootKeyId().equals(oldKey.id())) {
        throw new RootKeyException(
            "version " + pending.version() + " of key " + pending.keyName() + " is wrapped by root"
                + " key " + current.rootKeyId() + ", neither the old nor the new one");
      }
      byte[] aad = KeyCatalog.versionSecretAad(pending.keyName(), pending.version());
      byte[] secret = oldKey.unwrap(current.ciphertext(), aad);
      try {
        WrappedSecret next = new WrappedSecret(newKey.id(), newKey.wrap(secret, aad));
        progress.reached(Phase.VERSION_REWRAPPED, ++count);
        return next;
      } finally {
        Arrays.fill(secret, (byte) 0);
      }
    }

    WrappedSecret rewrapUnchecked(NextWraps.Pending pending) {
      try {
        return rewrap(pending);
      } catch (RootKeyException e) {
        throw new UncheckedRootKeyException(e);
      }
    }
  }

  /** Carries a RootKeyException out of the swap transaction (which rolls back on it). */
  private static final class UncheckedRootKeyException extends RuntimeException {
    UncheckedRootKeyException(RootKeyException cause) {
      super(cause.getMessage(), cause);
    }

    @Override
    public synchronized RootKeyException getCause() {
      return (RootKeyException) super.getCause();
    }
  }
}
