package io.keyward.keyserver.backup;

import java.util.Optional;
import java.util.Set;

/**
 * What a backup holds, in counts (nothing secret).
 *
 * @param rootKeyIds ids of the root keys that wrapped the secrets: restoring is useful only to a
 *     server that has these keys
 */
public record BackupSummary(
    int keys, int versions, int destroyedVersions, Optional<Long> policyRevision, Set<String> rootKeyIds) {
  public BackupSummary {
    rootKeyIds = Set.copyOf(rootKeyIds);
  }
}
