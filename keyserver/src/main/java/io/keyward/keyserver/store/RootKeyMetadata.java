package io.keyward.keyserver.store;

/**
 * Names of the metadata values that record which root key a store is under, and a root-key
 * rotation in progress. None of them is secret: ids are fingerprints, check values are wrapped.
 */
public final class RootKeyMetadata {
  /** A fixed value wrapped by the store's root key: only that key opens it. */
  public static final String CHECK = "rootkey.check";
  /** The id of the store's root key: the one every authoritative wrap is under. */
  public static final String ID = "rootkey.id";
  /** Ids of root keys a rotation retired, one per line. */
  public static final String RETIRED = "rootkey.retired";
  /** During a rotation: the id of the root key it rotates to. */
  public static final String NEXT_ID = "rootkey.next.id";
  /** During a rotation: the check value wrapped by the next root key. */
  public static final String NEXT_CHECK = "rootkey.next.check";

  /** Values that describe a rotation in progress, not the store: kept out of backups. */
  static final String NEXT_PREFIX = "rootkey.next.";

  private RootKeyMetadata() {}
}
