package io.keyward.keyserver.backup;

import java.io.IOException;

/** A backup file that is not one, is damaged, or comes from a newer format. */
public final class InvalidBackupException extends IOException {
  public InvalidBackupException(String message) {
    super(message);
  }

  public InvalidBackupException(String message, Throwable cause) {
    super(message, cause);
  }
}
