package io.keyward.keyserver.identity;

import java.io.IOException;
import java.util.Optional;

/** Where an issuer's JWKS document comes from. Called by one thread at a time per issuer. */
interface JwksLoader {

  /** @return the current document, or empty when it is known not to have changed since the last call */
  Optional<String> load() throws IOException;
}
