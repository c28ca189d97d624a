package io.keyward.keyserver.store;

import java.util.Optional;

/**
 * Wraps the secret of a new key version, inside the transaction that stores it, under the root
 * key the store names. The store refuses a result wrapped under any other root key, so a keyserver
 * that missed a root-key rotation cannot add a version only a retired key opens.
 */
@FunctionalInterface
public interface SecretWrapper {
  /**
   * @param version the number the new version gets (the wrap is bound to it)
   * @param storeRootKeyId the id of the store's root key; empty for a store that records none yet
   */
  WrappedSecret wrap(int version, Optional<String> storeRootKeyId);
}
