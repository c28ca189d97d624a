package io.keyward.keyserver.keys;

import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeyVersionRecord;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates keys by themselves: when the primary version has issued its configured number of data
 * keys, or has been primary for the configured period. A rotation is started at most once per
 * (key, primary version), off the request path.
 */
public final class AutoRotation {
  private static final Logger log = LoggerFactory.getLogger(AutoRotation.class);

  private final KeyCatalog catalog;
  private final Executor executor;
  private final Set<String> started = ConcurrentHashMap.newKeySet();

  public AutoRotation(KeyCatalog catalog, Executor executor) {
    this.catalog = catalog;
    this.executor = executor;
  }

  /** Called after each data key is issued; cheap when the key has no usage limit. */
  void afterIssue(KeyRecord key) {
    if (key.settings().rotateAfterDataKeys().isEmpty()) {
      return;
    }
    KeyVersionRecord primary = key.primary();
    if (catalog.dataKeysIssued(key.name(), primary) >= key.settings().rotateAfterDataKeys().getAsLong()) {
      startOnce(key, "issued " + key.settings().rotateAfterDataKeys().getAsLong() + " data keys");
    }
  }

  /** Starts the rotation of every key whose primary is older than its rotation period. */
  void rotateDue(Instant now) {
    for (KeyRecord key : catalog.store().listKeys()) {
      key.settings().rotationPeriod().ifPresent(period -> {
        if (!key.primary().createdAt().plus(period).isAfter(now)) {
          startOnce(key, "primary is older than " + period);
        }
      });
      afterIssue(key);
    }
  }

  private void startOnce(KeyRecord key, String why) {
    String id = key.name() + "#" + key.primaryVersion();
    if (!started.add(id)) {
      return;
    }
    executor.execute(() -> {
      try {
        KeyRecord current = catalog.store().findKey(key.name()).orElse(null);
        if (current == null || current.primaryVersion() != key.primaryVersion()) {
          return; // somebody rotated already
        }
        KeyRecord rotated = catalog.rotate(key.name());
        log.info("rotated key {} to version {}: {}", key.name(), rotated.primaryVersion(), why);
      } catch (RuntimeException e) {
        started.remove(id); // try again at the next check
        log.warn("automatic rotation of key {} failed; will retry", key.name(), e);
      }
    });
  }
}
