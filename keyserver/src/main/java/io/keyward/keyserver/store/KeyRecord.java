package io.keyward.keyserver.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A named key with all its versions, as stored. Immutable snapshot.
 *
 * @param versions every version, ascending by version number (version numbers start at 1)
 */
public record KeyRecord(
    String name,
    Instant createdAt,
    int primaryVersion,
    int minDecryptionVersion,
    KeySettings settings,
    List<KeyVersionRecord> versions) {

  public KeyRecord {
    versions = List.copyOf(versions);
  }

  public Optional<KeyVersionRecord> version(int version) {
    for (KeyVersionRecord v : versions) { // on every call's path: a loop, not a stream
      if (v.version() == version) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  public KeyVersionRecord primary() {
    return version(primaryVersion).orElseThrow();
  }
}
