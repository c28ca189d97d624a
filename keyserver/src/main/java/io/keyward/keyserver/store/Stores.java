package io.keyward.keyserver.store;

import io.keyward.keyserver.KeyserverException;

/** Opens the configured key store. */
public final class Stores {
  private Stores() {}

  /**
   * Opens (creating and migrating if needed) the key store at {@code location}: {@code
   * sqlite:/path/to/file.db}, {@code jdbc:sqlite:/path/to/file.db}, a plain file path, or a
   * PostgreSQL database: {@code postgresql://[user@]host[:port]/db[?params]} or {@code
   * jdbc:postgresql://...} (never with a password in it; use {@code ~/.pgpass}). The
   * returned store owns its database; share it with the audit log through {@link
   * JdbcKeyStore#database()} and close the audit log first.
   *
   * @throws KeyserverException INVALID_ARGUMENT for a location that is not understood, UNAVAILABLE
   *     when the database cannot be opened, is not a Keyward database, or cannot be migrated
   */
  public static JdbcKeyStore open(String location) {
    return new JdbcKeyStore(Database.open(location));
  }
}
