package io.keyward.keyserver.store;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Per-key automatic rotation settings.
 *
 * @param rotationPeriod rotate when the primary version is this old; empty = never by age
 * @param rotateAfterDataKeys rotate when the primary has issued this many data keys; empty = never
 */
public record KeySettings(Optional<Duration> rotationPeriod, OptionalLong rotateAfterDataKeys) {
  public static final KeySettings NONE = new KeySettings(Optional.empty(), OptionalLong.empty());
}
