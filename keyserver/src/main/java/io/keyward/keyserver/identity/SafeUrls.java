package io.keyward.keyserver.identity;

import java.net.URI;

/** Which URLs keys may be fetched from: https anywhere, plain http only to this machine. */
final class SafeUrls {
  private SafeUrls() {}

  static boolean isAllowed(URI url) {
    if (!url.isAbsolute() || url.getHost() == null || url.getRawUserInfo() != null || url.getRawFragment() != null) {
      return false;
    }
    String scheme = url.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (scheme.equals("https")) {
      return true;
    }
    // Plain http carries no integrity: a network attacker could swap the keys. Allow it only for
    // loopback (tests, a local dev issuer).
    return scheme.equals("http") && isLoopback(url.getHost());
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]") || host.equals("::1");
  }
}
