package io.keyward.sidecar;

import java.util.Properties;

/**
 * Keeps the JDK's list of public certificate authorities out of a sidecar that never uses it.
 *
 * <p>Netty's JDK TLS initialises the JDK's default {@code SSLContext} when it builds its first TLS
 * context, and that parses every certificate in {@code cacerts} (about 150: 2 MiB of heap and a
 * hundred classes, for the life of the process). With {@code keyserver.caFile} set, the keyserver
 * channel trusts that CA alone and nothing else in the sidecar makes TLS connections, so the
 * default trust store is left empty, unless the operator chose one.
 */
final class DefaultTrustStore {
  static final String PROPERTY = "javax.net.ssl.trustStore";
  /** The JDK reads this name as an empty in-memory store (a missing file falls back to cacerts). */
  static final String EMPTY = "NONE";

  private DefaultTrustStore() {}

  /** Empties the default trust store when the configuration makes it unused; true if it did. */
  static boolean emptyWhenUnused(SidecarConfig config, Properties system) {
    // The configuration refuses a CA file together with plaintext, so a CA file means TLS.
    if (config.keyserverCaFile().isEmpty() || system.getProperty(PROPERTY) != null) {
      return false;
    }
    system.setProperty(PROPERTY, EMPTY);
    return true;
  }
}
