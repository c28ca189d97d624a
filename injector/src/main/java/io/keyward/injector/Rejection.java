package io.keyward.injector;

/** A request the injector refuses; the message goes back to the user as the admission error. */
final class Rejection extends Exception {
  private final int code;

  Rejection(int code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  int code() {
    return code;
  }

  /** Quotes a user-supplied value for an error message, bounded so a huge value stays small. */
  static String quote(String value) {
    String v = value.length() > 64 ? value.substring(0, 64) + "..." : value;
    return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
