package io.keyward.cli;

/** The process exit codes of every {@code keyward} verb; documented in {@code keyward --help}. */
public final class ExitCodes {
  /** The verb did what was asked. */
  public static final int OK = 0;
  /** Anything not covered below (a failed decryption, failed items in a rewrap, an I/O error). */
  public static final int FAILED = 1;
  /** Bad command line or invalid input (unknown option, malformed value, invalid policy file). */
  public static final int USAGE = 2;
  /** No token, a token the keyserver does not accept, or the policy denies the call. */
  public static final int NOT_AUTHORIZED = 3;
  /** The key or key version does not exist. */
  public static final int NOT_FOUND = 4;
  /** The keyserver or sidecar cannot be reached or is not ready; retrying later may help. */
  public static final int UNAVAILABLE = 5;
  /** The key's state forbids it: version disabled, destroyed or below minimum; key exists. */
  public static final int FAILED_PRECONDITION = 6;

  private ExitCodes() {}
}
