package io.keyward.keyserver.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses raw setting text into typed values; every failure names the setting and its source. */
final class Values {
  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}\\]");
  private static final Pattern PORT = Pattern.compile("\\d{1,5}");
  private static final int MAX_QUOTED = 80;

  private Values() {}

  static Duration duration(Setting setting, Raw raw) throws ConfigException {
    String text = raw.text().trim();
    Matcher m = SHORT_DURATION.matcher(text);
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          return Duration.ofMillis(amount);
        case "s":
          return Duration.ofSeconds(amount);
        case "m":
          return Duration.ofMinutes(amount);
        case "h":
          return Duration.ofHours(amount);
        default:
          return Duration.ofDays(amount);
      }
    }
    if (text.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(text);
      } catch (DateTimeParseException e) {
        // fall through to the error below
      }
    }
    throw invalid(setting, "must be a duration such as 500ms, 30s, 5m, 24h, 30d or PT30S", raw);
  }

  static boolean bool(Setting setting, Raw raw) throws ConfigException {
    String text = raw.text().trim().toLowerCase(Locale.ROOT);
    if (text.equals("true")) {
      return true;
    }
    if (text.equals("false")) {
      return false;
    }
    throw invalid(setting, "must be true or false", raw);
  }

  /** Empty text means unset. */
  static Optional<Path> optionalPath(Setting setting, Raw raw) throws ConfigException {
    return optionalPath(setting.path, raw);
  }

  static Optional<Path> optionalPath(String name, Raw raw) throws ConfigException {
    String text = raw.text().trim();
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(text));
    } catch (InvalidPathException e) {
      throw invalid(name, "must be a file path", raw);
    }
  }

  /** {@code host:port}, {@code [ipv6]:port}; port 0 asks for any free port. */
  static ServerConfig.HostPort hostPort(Setting setting, Raw raw) throws ConfigException {
    String text = raw.text().trim();
    int colon = text.lastIndexOf(':');
    if (colon > 0) {
      String host = text.substring(0, colon);
      String port = text.substring(colon + 1);
      boolean hostOk = HOST.matcher(host).matches() || IPV6.matcher(host).matches();
      if (hostOk && PORT.matcher(port).matches() && Integer.parseInt(port) <= 65535) {
        return new ServerConfig.HostPort(host, Integer.parseInt(port));
      }
    }
    throw invalid(setting, "must be host:port", raw);
  }

  static ConfigException invalid(Setting setting, String requirement, Raw raw) {
    return invalid(setting.path, requirement, raw);
  }

  static ConfigException invalid(String name, String requirement, Raw raw) {
    return new ConfigException(
        name + " " + requirement + ", got '" + quote(raw.text()) + "' (" + raw.origin() + ")");
  }

  /** Bounded, with control characters replaced, so a hostile value cannot flood a log. */
  static String quote(String text) {
    int end = Math.min(text.length(), MAX_QUOTED);
    StringBuilder out = new StringBuilder(end + 3);
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return end < text.length() ? out.append("...").toString() : out.toString();
  }
}
