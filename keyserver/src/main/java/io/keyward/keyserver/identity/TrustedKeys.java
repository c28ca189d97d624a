package io.keyward.keyserver.identity;

import com.nimbusds.jose.jwk.JWK;
import java.util.List;

/** The verification keys of one issuer. Implementations are thread-safe. */
interface TrustedKeys {

  /** The keys known now (public keys only, already filtered by {@link JwksPolicy}). */
  List<JWK> keys();

  /**
   * Called when no key matched a token: reloads the keys unless that was done too recently.
   *
   * @return whether the keys changed since this call began (so matching is worth trying again)
   */
  boolean refreshForUnknownKey();

  /** A fixed key list, for tests and vectors. */
  static TrustedKeys fixed(List<JWK> keys) {
    List<JWK> copy = List.copyOf(keys);
    return new TrustedKeys() {
      @Override
      public List<JWK> keys() {
        return copy;
      }

      @Override
      public boolean refreshForUnknownKey() {
        return false;
      }
    };
  }
}
