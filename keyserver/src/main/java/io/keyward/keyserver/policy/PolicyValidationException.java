package io.keyward.keyserver.policy;

import java.util.List;

/** A policy document has errors; each names its line, e.g. {@code line 7: unknown operation "encrpyt"}. */
public final class PolicyValidationException extends Exception {
  private final List<String> errors;

  public PolicyValidationException(List<String> errors) {
    super("policy has " + errors.size() + " error(s): " + String.join("; ", errors));
    this.errors = List.copyOf(errors);
  }

  public List<String> errors() {
    return errors;
  }
}
