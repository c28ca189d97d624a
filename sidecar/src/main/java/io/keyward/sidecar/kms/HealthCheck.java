package io.keyward.sidecar.kms;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * Decides Status's {@code healthz}: "ok" only when GetKey answers, the primary version is enabled
 * and a probe seed goes through Encrypt and Decrypt (so the plugin's token and policy are good).
 * The verdict is cached for the state max-age, so kube-apiserver's Status calls stay cheap; a
 * probe runs at most once per max-age, by one thread.
 */
final class HealthCheck {
  static final String OK = "ok";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyserverClient keyserver;
  private final KeyState state;
  private final Clock clock;
  private final Duration maxAge;
  private volatile Verdict last;

  private record Verdict(String healthz, Instant at) {}

  HealthCheck(KeyserverClient keyserver, KeyState state, Clock clock, Duration maxAge) {
    this.keyserver = keyserver;
    this.state = state;
    this.clock = clock;
    this.maxAge = maxAge;
  }

  String healthz() {
    Verdict v = last;
    if (v != null && !clock.instant().isAfter(v.at().plus(maxAge))) {
      return v.healthz();
    }
    synchronized (this) {
      v = last;
      if (v == null || clock.instant().isAfter(v.at().plus(maxAge))) {
        v = new Verdict(probe(), clock.instant());
        last = v;
      }
      return v.healthz();
    }
  }

  private String probe() {
    String key = keyserver.keyName();
    try {
      KeySnapshot s = state.refreshNow();
      if (!s.primaryUsable()) {
        return "primary version " + s.primaryVersion() + " of key " + key + " is not enabled";
      }
      byte[] seed = new byte[32];
      RANDOM.nextBytes(seed);
      KeyserverClient.Wrapped wrapped = keyserver.encrypt(seed);
      byte[] back = keyserver.decrypt(wrapped.ciphertext(), SealedHeader.parse(wrapped.ciphertext()));
      boolean same = MessageDigest.isEqual(seed, back);
      Arrays.fill(back, (byte) 0);
      return same ? OK : "keyserver returned a wrong probe plaintext";
    } catch (KeyserverCallException e) {
      return reason(e, key);
    } catch (IllegalArgumentException e) {
      return "keyserver returned a malformed probe ciphertext";
    }
  }

  private static String reason(KeyserverCallException e, String key) {
    return switch (e.code()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> "keyserver unreachable (" + e.code() + ")";
      case UNAUTHENTICATED -> "keyserver rejected the plugin's token (UNAUTHENTICATED)";
      case PERMISSION_DENIED -> "policy denies the plugin encrypt, decrypt or read-key on key " + key;
      case NOT_FOUND -> "key " + key + " not found";
      case FAILED_PRECONDITION -> "primary version of key " + key + " is not usable";
      default -> "keyserver call failed (" + e.code() + ")";
    };
  }
}
