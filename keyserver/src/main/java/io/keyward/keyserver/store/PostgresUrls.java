package io.keyward.keyserver.store;

import io.keyward.keyserver.KeyserverException;
import java.util.Locale;

/**
 * Store locations that name a PostgreSQL database, and their JDBC form. Public for tools that
 * open the same locations outside a key store (the load driver creates its database with it).
 */
public final class PostgresUrls {
  private PostgresUrls() {}

  public static boolean isPostgres(String location) {
    String lower = location.strip().toLowerCase(Locale.ROOT);
    return lower.startsWith("postgresql://")
        || lower.startsWith("postgres://")
        || lower.startsWith("jdbc:postgresql:");
  }

  /**
   * {@code postgresql://[user@]host[:port]/db[?params]} becomes {@code
   * jdbc:postgresql://host[:port]/db?user=user&params}; a JDBC URL is kept as it is. A password in
   * the location is refused: it would end up in logs and process listings.
   */
  public static String toJdbcUrl(String location) {
    String text = location.strip();
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.contains("password=")) {
      throw KeyserverException.invalid(
          "store location must not contain a password; use ~/.pgpass or PGPASSFILE");
    }
    if (lower.startsWith("jdbc:")) {
      return text;
    }
    String rest = text.substring(text.indexOf("://") + 3);
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "/" : rest.substring(slash);
    int at = authority.lastIndexOf('@');
    String user = null;
    if (at >= 0) {
      user = authority.substring(0, at);
      authority = authority.substring(at + 1);
      if (user.contains(":")) {
        throw KeyserverException.invalid(
            "store location must not contain a password; use ~/.pgpass or PGPASSFILE");
      }
    }
    if (authority.isEmpty()) {
      throw KeyserverException.invalid("store location must name a PostgreSQL host");
    }
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(authority).append(path);
    if (user != null && !user.isEmpty()) {
      url.append(path.contains("?") ? '&' : '?').append("user=").append(user);
    }
    return url.toString();
  }

  /** The URL without its query string, for messages and logs. */
  static String describe(String jdbcUrl) {
    int q = jdbcUrl.indexOf('?');
    return q < 0 ? jdbcUrl : jdbcUrl.substring(0, q);
  }
}
