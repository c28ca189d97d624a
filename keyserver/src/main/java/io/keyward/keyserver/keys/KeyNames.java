package io.keyward.keyserver.keys;

import io.keyward.keyserver.KeyserverException;

/** Key names: 1 to 128 characters of {@code [A-Za-z0-9._-]}, starting with a letter or digit. */
public final class KeyNames {
  public static final int MAX_LENGTH = 128;

  private KeyNames() {}

  public static String requireValid(String name) {
    if (name == null || name.isEmpty()) {
      throw KeyserverException.invalid("key name is required");
    }
    if (!isValid(name)) {
      throw KeyserverException.invalid(
          "key name must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
    }
    return name;
  }

  /** Checked on every call (and every wrapped key parsed): a loop, not a regular expression. */
  static boolean isValid(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH || !letterOrDigit(name.charAt(0))) {
      return false;
    }
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!letterOrDigit(c) && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    return true;
  }

  private static boolean letterOrDigit(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
}
