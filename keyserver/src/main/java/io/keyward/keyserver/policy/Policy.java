package io.keyward.keyserver.policy;

import io.keyward.keyserver.identity.WorkloadIdentity;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable, validated access policy. Default deny: a call is allowed only when some rule
 * matches the caller, the operation, the key and the encryption-context bindings. The document
 * format is described in {@code docs/policy.md}.
 *
 * <p>Thread-safe. {@link #evaluate} compiles nothing and allocates nothing when it allows.
 */
public final class Policy {
  private static final int MAX_KEY_NAME_IN_REASON = 64;
  private static final Policy DENY_ALL = new Policy(List.of());

  private final Rule[] rules;

  private Policy(List<Rule> rules) {
    this.rules = rules.toArray(new Rule[0]);
  }

  /**
   * Parses and validates a policy document. Only safe YAML is read: no aliases, no custom tags, no
   * object construction, at most {@value PolicyParser#MAX_DOCUMENT_CHARS} characters and {@value
   * PolicyParser#MAX_RULES} rules.
   *
   * @throws PolicyValidationException listing every error found, each as {@code "line N: ..."};
   *     the messages quote field names and short offending names, never large parts of the document
   */
  public static Policy parse(String yamlDocument) throws PolicyValidationException {
    Objects.requireNonNull(yamlDocument, "yamlDocument");
    return new Policy(new PolicyParser().parse(yamlDocument));
  }

  /** A policy without rules: every call is denied. */
  public static Policy denyAll() {
    return DENY_ALL;
  }

  /**
   * Decides whether {@code caller} may perform {@code operation}.
   *
   * <p>Guarantee: returns an allowing decision only when one rule matches the caller's verified
   * identity (issuer, subject, namespace), grants the operation, covers {@code keyName} (if given)
   * and, for key operations (encrypt, decrypt, rewrap), finds every context binding satisfied by
   * {@code context}. A binding to an identity attribute the caller lacks never matches. Admin
   * operations ignore context bindings; admin operations without a key name (list keys, policy,
   * audit) need only a rule granting them. The reason names the allowing rule or the constraint
   * that failed; it never contains context values or token content.
   *
   * @param keyName empty for operations not about one key
   * @param context the request's encryption context; never null
   */
  public Decision evaluate(
      WorkloadIdentity caller,
      Operation operation,
      Optional<String> keyName,
      Map<String, String> context) {
    Objects.requireNonNull(caller, "caller");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(keyName, "keyName");
    Objects.requireNonNull(context, "context");
    String key = keyName.orElse(null);
    if (key == null && !operation.isAdmin()) {
      return Decision.deny("operation " + operation.policyName() + " needs a key name");
    }
    // Deepest stage any rule reached, to explain a denial: 1 caller, 2 key, 3 context.
    int stage = 0;
    String contextFailure = null;
    Rule contextRule = null;
    for (Rule rule : rules) {
      if (!rule.grants(operation)) {
        continue;
      }
      if (!rule.matchesCaller(caller)) {
        stage = Math.max(stage, 1);
        continue;
      }
      if (key != null && !rule.coversKey(key)) {
        stage = Math.max(stage, 2);
        continue;
      }
      if (!operation.isAdmin()) {
        String failure = rule.contextFailure(caller, context);
        if (failure != null) {
          if (stage < 3) {
            stage = 3;
            contextFailure = failure;
            contextRule = rule;
          }
          continue;
        }
      }
      return rule.allowDecision;
    }
    return Decision.deny(denyReason(stage, operation, key, contextRule, contextFailure));
  }

  /** The number of rules; 0 for {@link #denyAll()}. */
  public int ruleCount() {
    return rules.length;
  }

  private static String denyReason(
      int stage, Operation operation, String key, Rule contextRule, String contextFailure) {
    String op = operation.policyName();
    switch (stage) {
      case 0:
        return "no rule grants " + op;
      case 1:
        return "no rule granting " + op + " matches the caller";
      case 2:
        return "no rule granting " + op + " to the caller covers key '" + shorten(key) + "'";
      default:
        return "rule '" + contextRule.name + "' grants " + op + " on key '" + shorten(key)
            + "' but " + contextFailure;
    }
  }

  /** Key names come from the request: bound their length and keep control characters out of logs. */
  private static String shorten(String key) {
    int end = Math.min(key.length(), MAX_KEY_NAME_IN_REASON);
    StringBuilder out = new StringBuilder(end + 3);
    for (int i = 0; i < end; i++) {
      char c = key.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return end < key.length() ? out.append("...").toString() : out.toString();
  }

  @Override
  public String toString() {
    return "Policy[rules=" + rules.length + "]";
  }
}
