package io.keyward.keyserver.keys;

import io.keyward.keyserver.KeyserverException;
import java.util.regex.Pattern;

/** Key names: 1 to 128 characters of {@code [A-Za-z0-9._-]}, starting with a letter or digit. */
public final class KeyNames {
  public static final int MAX_LENGTH = 128;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private KeyNames() {}

  public static String requireValid(String name) {
    if (name == null || name.isEmpty()) {
      throw KeyserverException.invalid("key name is required");
    }
    if (name.length() > MAX_LENGTH || !VALID.matcher(name).matches()) {
      throw KeyserverException.invalid(
          "key name must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit");
    }
    return name;
  }

  static boolean isValid(String name) {
    return name != null && name.length() <= MAX_LENGTH && VALID.matcher(name).matches();
  }
}
