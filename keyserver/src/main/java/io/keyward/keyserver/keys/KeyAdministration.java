package io.keyward.keyserver.keys;

import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.identity.WorkloadIdentity;
import io.keyward.keyserver.policy.Operation;
import io.keyward.keyserver.store.KeyRecord;
import io.keyward.keyserver.store.KeySettings;
import io.keyward.keyserver.store.VersionState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The operator operations on keys and their versions. Each is checked against the policy. */
public final class KeyAdministration {
  private final KeyCatalog catalog;
  private final Authorizer authorizer;
  private final Duration minimumDestroyWait;
  private final Duration defaultDestroyWait;

  public KeyAdministration(
      KeyCatalog catalog, Authorizer authorizer, Duration minimumDestroyWait, Duration defaultDestroyWait) {
    if (defaultDestroyWait.compareTo(minimumDestroyWait) < 0) {
      throw new IllegalArgumentException("default destroy waiting period must be at least the minimum, got "
          + defaultDestroyWait + " < " + minimumDestroyWait);
    }
    this.catalog = catalog;
    this.authorizer = authorizer;
    this.minimumDestroyWait = minimumDestroyWait;
    this.defaultDestroyWait = defaultDestroyWait;
  }

  public KeyRecord create(WorkloadIdentity caller, String name, KeySettings settings, CallRecord call) {
    call.key(KeyNames.requireValid(name));
    authorizer.require(caller, Operation.CREATE_KEY, Optional.of(name), Map.of());
    settings.rotationPeriod().ifPresent(p -> {
      if (p.compareTo(Duration.ofHours(1)) < 0) {
        throw KeyserverException.invalid("rotation period must be at least 1h, got " + p);
      }
    });
    return catalog.create(name, settings);
  }

  public KeyRecord get(WorkloadIdentity caller, String name, CallRecord call) {
    call.key(KeyNames.requireValid(name));
    authorizer.require(caller, Operation.READ_KEY, Optional.of(name), Map.of());
    return withPendingCounts(fresh(name));
  }

  public List<KeyRecord> list(WorkloadIdentity caller) {
    authorizer.require(caller, Operation.READ_KEY, Optional.empty(), Map.of());
    return catalog.store().listKeys().stream().map(this::withPendingCounts).toList();
  }

  public KeyRecord rotate(WorkloadIdentity caller, String name, CallRecord call) {
    call.key(KeyNames.requireValid(name));
    authorizer.require(caller, Operation.ROTATE_KEY, Optional.of(name), Map.of());
    KeyRecord rotated = catalog.rotate(name);
    call.version(rotated.primaryVersion());
    return rotated;
  }

  public KeyRecord setEnabled(WorkloadIdentity caller, String name, int version, boolean enabled, CallRecord call) {
    requireVersionArgs(caller, name, version, call);
    KeyRecord key = fresh(name);
    VersionState state = key.version(version)
        .orElseThrow(() -> KeyserverException.notFound("key '" + name + "' has no version " + version))
        .state();
    if (state == VersionState.DESTROYED || state == VersionState.DESTROY_SCHEDULED) {
      throw KeyserverException.precondition("version " + version + " of key '" + name + "' is " + describe(state)
          + (state == VersionState.DESTROY_SCHEDULED ? "; cancel the destruction first" : ""));
    }
    if (!enabled && version == key.primaryVersion()) {
      throw KeyserverException.precondition("version " + version + " is the primary of key '" + name
          + "'; rotate before disabling it");
    }
    KeyRecord updated = catalog.store().setVersionState(
        name, version, enabled ? VersionState.ENABLED : VersionState.DISABLED, Optional.empty());
    catalog.dropSecret(name, version);
    return catalog.remember(updated);
  }

  public KeyRecord setMinDecryptionVersion(WorkloadIdentity caller, String name, int minimum, CallRecord call) {
    if (minimum < 0) { // a uint32 above 2^31-1: above any primary version
      call.key(KeyNames.requireValid(name));
      authorizer.require(caller, Operation.MANAGE_VERSIONS, Optional.of(name), Map.of());
      throw KeyserverException.precondition("minimum decryption version " + Integer.toUnsignedString(minimum)
          + " is above the primary version of key '" + name + "'");
    }
    requireVersionArgs(caller, name, minimum, call);
    KeyRecord key = fresh(name);
    if (minimum > key.primaryVersion()) {
      throw KeyserverException.precondition("minimum decryption version " + minimum
          + " is above the primary version " + key.primaryVersion() + " of key '" + name + "'");
    }
    return catalog.remember(catalog.store().setMinDecryptionVersion(name, minimum));
  }

  public KeyRecord scheduleDestruction(
      WorkloadIdentity caller, String name, int version, Optional<Duration> waitingPeriod, CallRecord call) {
    requireVersionArgs(caller, name, version, call);
    Duration wait = waitingPeriod.orElse(defaultDestroyWait);
    if (wait.compareTo(minimumDestroyWait) < 0) {
      throw KeyserverException.invalid(
          "waiting period must be at least " + minimumDestroyWait + ", got " + wait);
    }
    KeyRecord key = fresh(name);
    VersionState state = key.version(version)
        .orElseThrow(() -> KeyserverException.notFound("key '" + name + "' has no version " + version))
        .state();
    if (version == key.primaryVersion()) {
      throw KeyserverException.precondition("version " + version + " is the primary of key '" + name
          + "'; rotate before destroying it");
    }
    if (state == VersionState.DESTROYED || state == VersionState.DESTROY_SCHEDULED) {
      throw KeyserverException.precondition("version " + version + " of key '" + name + "' is already "
          + describe(state));
    }
    Instant when = catalog.clock().instant().plus(wait);
    KeyRecord updated = catalog.store().setVersionState(name, version, VersionState.DESTROY_SCHEDULED, Optional.of(when));
    catalog.dropSecret(name, version);
    return catalog.remember(updated);
  }

  public KeyRecord cancelDestruction(WorkloadIdentity caller, String name, int version, CallRecord call) {
    requireVersionArgs(caller, name, version, call);
    KeyRecord key = fresh(name);
    VersionState state = key.version(version)
        .orElseThrow(() -> KeyserverException.notFound("key '" + name + "' has no version " + version))
        .state();
    if (state != VersionState.DESTROY_SCHEDULED) {
      throw KeyserverException.precondition("version " + version + " of key '" + name + "' is "
          + describe(state) + ", not scheduled for destruction");
    }
    return catalog.remember(catalog.store().setVersionState(name, version, VersionState.DISABLED, Optional.empty()));
  }

  /** Erases due versions; run by the maintenance task. */
  void destroyDue(Instant now) {
    for (KeyRecord key : catalog.store().destroyDueVersions(now)) {
      key.versions().stream()
          .filter(v -> v.state() == VersionState.DESTROYED)
          .forEach(v -> catalog.dropSecret(key.name(), v.version()));
      catalog.forget(key.name());
    }
  }

  private void requireVersionArgs(WorkloadIdentity caller, String name, int version, CallRecord call) {
    call.key(KeyNames.requireValid(name));
    if (version < 0) { // a uint32 above 2^31-1 on the wire: no such version can exist
      throw KeyserverException.notFound("key '" + name + "' has no version " + Integer.toUnsignedString(version));
    }
    if (version == 0) {
      throw KeyserverException.invalid("version must be 1 or more, got 0");
    }
    call.version(version);
    authorizer.require(caller, Operation.MANAGE_VERSIONS, Optional.of(name), Map.of());
  }

  private KeyRecord fresh(String name) {
    return catalog.remember(catalog.store().findKey(name)
        .orElseThrow(() -> KeyserverException.notFound("key '" + name + "' does not exist")));
  }

  private KeyRecord withPendingCounts(KeyRecord key) {
    return new KeyRecord(key.name(), key.createdAt(), key.primaryVersion(), key.minDecryptionVersion(),
        key.settings(),
        key.versions().stream()
            .map(v -> new io.keyward.keyserver.store.KeyVersionRecord(v.version(), v.state(), v.createdAt(),
                v.destroyAt(), catalog.dataKeysIssued(key.name(), v), v.wrappedSecret()))
            .toList());
  }

  private static String describe(VersionState state) {
    return switch (state) {
      case ENABLED -> "enabled";
      case DISABLED -> "disabled";
      case DESTROY_SCHEDULED -> "scheduled for destruction";
      case DESTROYED -> "destroyed";
    };
  }
}
