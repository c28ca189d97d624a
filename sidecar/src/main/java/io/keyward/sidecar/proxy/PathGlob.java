package io.keyward.sidecar.proxy;

import java.util.regex.Pattern;

/**
 * A glob on a decoded, dot-segment-free request path: {@code *} matches within one segment,
 * {@code **} across segments, and a trailing {@code /**} also matches the path without it
 * ({@code /v1/customers/**} matches {@code /v1/customers}). Everything else is literal.
 */
final class PathGlob {
  private final String glob;
  private final Pattern regex;

  private PathGlob(String glob, Pattern regex) {
    this.glob = glob;
    this.regex = regex;
  }

  static PathGlob compile(String glob, String where) {
    if (!glob.startsWith("/")) {
      throw new IllegalArgumentException(where + " must start with '/', got '" + glob + "'");
    }
    StringBuilder re = new StringBuilder();
    int i = 0;
    while (i < glob.length()) {
      if (glob.startsWith("/**", i) && i + 3 == glob.length()) {
        re.append("(?:/.*)?");
        i += 3;
      } else if (glob.startsWith("**", i)) {
        re.append(".*");
        i += 2;
      } else if (glob.charAt(i) == '*') {
        re.append("[^/]*");
        i++;
      } else {
        int next = glob.indexOf('*', i);
        int end = next < 0 ? glob.length() : next;
        if (next >= 1 && glob.startsWith("/**", next - 1) && next + 2 == glob.length()) {
          end = next - 1; // leave the trailing "/**" to its own branch
        }
        re.append(Pattern.quote(glob.substring(i, end)));
        i = end;
      }
    }
    return new PathGlob(glob, Pattern.compile(re.toString(), Pattern.DOTALL));
  }

  boolean matches(String path) {
    return regex.matcher(path).matches();
  }

  @Override
  public String toString() {
    return glob;
  }
}
