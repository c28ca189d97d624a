package io.keyward.keyserver.audit;

import java.util.Optional;
import java.util.OptionalLong;

/** Result of walking the audit chain. */
public record ChainVerification(
    long recordsChecked, OptionalLong firstBrokenSequence, Optional<String> reason) {
  public boolean intact() {
    return firstBrokenSequence.isEmpty();
  }
}
