package io.keyward.keyserver.store;

/** Lifecycle of a key version. Only ENABLED versions wrap or unwrap. */
public enum VersionState {
  ENABLED,
  DISABLED,
  DESTROY_SCHEDULED,
  DESTROYED
}
