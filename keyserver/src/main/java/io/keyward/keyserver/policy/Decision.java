package io.keyward.keyserver.policy;

/**
 * The policy's answer.
 *
 * @param reason why, for the server log and tests (names the rule that allowed, or what was
 *     missing); never sent to the client
 */
public record Decision(boolean allowed, String reason) {
  public static Decision allow(String reason) {
    return new Decision(true, reason);
  }

  public static Decision deny(String reason) {
    return new Decision(false, reason);
  }
}
