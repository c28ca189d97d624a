package io.keyward.keyserver.keys;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.identity.WorkloadIdentity;
import io.keyward.keyserver.policy.Decision;
import io.keyward.keyserver.policy.Operation;
import io.keyward.keyserver.policy.Policy;
import io.keyward.keyserver.policy.PolicyValidationException;
import io.keyward.keyserver.store.KeyStore;
import io.keyward.keyserver.store.StoredPolicy;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the policy the store has, compiled, and answers every permission question. Default deny:
 * until a policy is stored, nothing is allowed. {@link #refresh()} picks up a document stored
 * through another replica.
 */
public final class Authorizer {
  private static final Logger log = LoggerFactory.getLogger(Authorizer.class);

  private final KeyStore store;
  private final Clock clock;
  private volatile Compiled current = new Compiled(Policy.denyAll(), 0);

  private record Compiled(Policy policy, long revision) {}

  public Authorizer(KeyStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
    refresh();
  }

  /** Throws PERMISSION_DENIED unless the policy allows it; the reason goes to the log only. */
  public void require(WorkloadIdentity caller, Operation operation, Optional<String> keyName, Map<String, String> context) {
    Decision decision = current.policy().evaluate(caller, operation, keyName, context);
    if (!decision.allowed()) {
      log.info("denied {} {} on {}: {}", caller.auditName(), operation.policyName(), keyName.orElse("-"), decision.reason());
      throw new KeyserverException(
          ErrorCode.PERMISSION_DENIED,
          "the policy does not allow " + operation.policyName() + keyName.map(k -> " on key '" + k + "'").orElse(""));
    }
  }

  /** Loads the stored document when its revision changed. A stored document that no longer parses keeps the old one. */
  public void refresh() {
    Optional<StoredPolicy> stored = store.policy();
    if (stored.isEmpty() || stored.get().revision() == current.revision()) {
      return;
    }
    try {
      current = new Compiled(Policy.parse(stored.get().document()), stored.get().revision());
      log.info("policy revision {} loaded ({} rules)", stored.get().revision(), current.policy().ruleCount());
    } catch (PolicyValidationException e) {
      log.error("stored policy revision {} does not validate; keeping revision {}: {}",
          stored.get().revision(), current.revision(), e.getMessage());
    }
  }

  public Optional<StoredPolicy> stored() {
    return store.policy();
  }

  /** Validates, then stores (unless validateOnly). Errors name their lines. */
  public StoredPolicy put(String document, Optional<Long> expectedRevision, boolean validateOnly) {
    try {
      Policy.parse(document);
    } catch (PolicyValidationException e) {
      throw KeyserverException.invalid("policy rejected: " + String.join("; ", e.errors()));
    }
    if (validateOnly) {
      StoredPolicy now = store.policy().orElse(new StoredPolicy("", 0, clock.instant()));
      return new StoredPolicy(document, now.revision(), now.updatedAt());
    }
    StoredPolicy stored = store.putPolicy(document, expectedRevision, clock.instant());
    refresh();
    return stored;
  }

  /** Stores {@code document} only when the store has no policy yet (start-up seeding). */
  public void seedIfEmpty(String document) {
    if (store.policy().isEmpty()) {
      put(document, Optional.empty(), false);
      log.info("policy seeded from the configured file");
    }
  }
}
