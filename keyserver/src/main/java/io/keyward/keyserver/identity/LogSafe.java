package io.keyward.keyserver.identity;

/** Makes caller-controlled strings (an {@code alg}, an {@code iss}) safe to put into a log line. */
final class LogSafe {
  private static final int MAX = 80;

  private LogSafe() {}

  /** Printable ASCII only, at most 80 characters, in quotes; anything else becomes {@code ?}. */
  static String quote(Object value) {
    if (value == null) {
      return "null";
    }
    String s = value.toString();
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length() && i < MAX; i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
    }
    return out.append(s.length() > MAX ? "...\"" : "\"").toString();
  }
}
