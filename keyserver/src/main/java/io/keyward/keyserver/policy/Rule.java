package io.keyward.keyserver.policy;

import io.keyward.keyserver.identity.WorkloadIdentity;
import java.util.Map;

/** One compiled rule. Immutable; all patterns are compiled once, at parse time. */
final class Rule {
  final String name;
  private final String issuer; // null: any issuer
  private final Glob subject; // null: any subject
  private final Glob namespace; // null: any namespace
  private final Glob[] keys;
  private final long operations; // bit per Operation ordinal
  private final String[] contextNames;
  private final ContextTemplate[] contextValues;
  /** Shared so that an allowed call allocates nothing. */
  final Decision allowDecision;

  Rule(
      String name,
      String issuer,
      Glob subject,
      Glob namespace,
      Glob[] keys,
      long operations,
      String[] contextNames,
      ContextTemplate[] contextValues) {
    this.name = name;
    this.issuer = issuer;
    this.subject = subject;
    this.namespace = namespace;
    this.keys = keys;
    this.operations = operations;
    this.contextNames = contextNames;
    this.contextValues = contextValues;
    this.allowDecision = Decision.allow("allowed by rule '" + name + "'");
  }

  static long bit(Operation operation) {
    return 1L << operation.ordinal();
  }

  boolean grants(Operation operation) {
    return (operations & bit(operation)) != 0;
  }

  boolean matchesCaller(WorkloadIdentity caller) {
    if (issuer != null && !issuer.equals(caller.issuer())) {
      return false;
    }
    if (namespace != null) {
      String ns = caller.namespace().orElse(null);
      if (ns == null || !namespace.matches(ns)) {
        return false;
      }
    }
    return subject == null || subject.matches(caller.subject());
  }

  boolean coversKey(String keyName) {
    for (Glob key : keys) {
      if (key.matches(keyName)) {
        return true;
      }
    }
    return false;
  }

  /** Null when every binding holds; otherwise which one failed and how (no values shown). */
  String contextFailure(WorkloadIdentity caller, Map<String, String> context) {
    for (int i = 0; i < contextNames.length; i++) {
      String actual = context.get(contextNames[i]);
      switch (contextValues[i].check(actual, caller)) {
        case MATCH:
          continue;
        case PLACEHOLDER_MISSING:
          return "context entry '" + contextNames[i]
              + "' is bound to an identity attribute the caller does not have";
        default:
          return actual == null
              ? "context entry '" + contextNames[i] + "' is missing"
              : "context entry '" + contextNames[i] + "' does not have the required value";
      }
    }
    return null;
  }
}
