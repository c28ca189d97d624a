package io.keyward.keyserver.keys;

import io.keyward.keyserver.audit.AuditEvent;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeyVersionRecord;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates keys by themselves: when the primary version has issued its configured number of data
 * keys, or has been primary for the configured period. A rotation is started at most once per
 * (key, primary version), off the request path, and audited with the caller {@link #CALLER}.
 */
public final class AutoRotation {
  private static final Logger log = LoggerFactory.getLogger(AutoRotation.class);

  /** How automatic rotations appear in the audit log. */
  public static final String CALLER = "keyward automatic-rotation";

  private final KeyCatalog catalog;
  private final Executor executor;
  private final AuditLog audit;
  private final Set<String> started = ConcurrentHashMap.newKeySet();

  public AutoRotation(KeyCatalog catalog, Executor executor, AuditLog audit) {
    this.catalog = catalog;
    this.executor = executor;
    this.audit = audit;
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
        record(key.name(), OptionalInt.of(rotated.primaryVersion()), "OK");
      } catch (RuntimeException e) {
        started.remove(id); // try again at the next check
        log.warn("automatic rotation of key {} failed; will retry", key.name(), e);
        record(key.name(), OptionalInt.empty(), "UNAVAILABLE");
      }
    });
  }

  private void record(String keyName, OptionalInt version, String outcome) {
    try {
      audit.append(new AuditEvent(catalog.clock().instant(), UUID.randomUUID().toString(), Optional.of(CALLER),
          "RotateKey", Optional.of(keyName), version, outcome));
    } catch (RuntimeException e) {
      log.error("automatic rotation of key {} could not be audited", keyName, e);
    }
  }
}
