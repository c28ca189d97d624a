package io.keyward.keyserver.store;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The contents of a key store (not its audit log) at one instant: keys sorted by name, the policy,
 * metadata by name. Wrapped secrets stay wrapped. {@code toString()} prints counts only.
 */
public record StoreSnapshot(
    List<KeyRecord> keys, Optional<StoredPolicy> policy, Map<String, byte[]> metadata) {

  public StoreSnapshot {
    keys = List.copyOf(keys);
    TreeMap<String, byte[]> copy = new TreeMap<>();
    metadata.forEach((k, v) -> copy.put(k, v.clone()));
    metadata = java.util.Collections.unmodifiableMap(copy);
  }

  /** A copy of each value, so callers cannot change this snapshot. */
  @Override
  public Map<String, byte[]> metadata() {
    TreeMap<String, byte[]> copy = new TreeMap<>();
    metadata.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StoreSnapshot s)
        || !s.keys.equals(keys)
        || !s.policy.equals(policy)
        || !s.metadata.keySet().equals(metadata.keySet())) {
      return false;
    }
    return metadata.entrySet().stream()
        .allMatch(e -> Arrays.equals(e.getValue(), s.metadata.get(e.getKey())));
  }

  @Override
  public int hashCode() {
    return keys.hashCode() * 31 + policy.hashCode();
  }

  @Override
  public String toString() {
    return "StoreSnapshot[" + keys.size() + " keys, policy=" + policy.map(p -> "revision " + p.revision()).orElse("none")
        + ", " + metadata.size() + " metadata entries]";
  }
}
