package io.keyward.sidecar.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/** Header and path rules of an HTTP/1.1 intermediary (RFC 9110 section 7.6.1). */
final class HttpFacts {
  /** Hop-by-hop fields; {@code Transfer-Encoding} is framing and handled by the codecs. */
  private static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive",
      "proxy-connection", "te", "upgrade", "proxy-authenticate", "proxy-authorization");

  private HttpFacts() {}

  /** Removes hop-by-hop fields, including those named in {@code Connection}. */
  static void stripHopByHop(HttpHeaders headers) {
    for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : connection.split(",")) {
        String name = token.trim();
        if (!name.isEmpty()) {
          headers.remove(name);
        }
      }
    }
    for (String name : HOP_BY_HOP) {
      headers.remove(name);
    }
  }

  /** {@code application/json} or any {@code application/*+json}, parameters ignored. */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim()
        .toLowerCase(Locale.ROOT);
    return type.equals("application/json")
        || (type.startsWith("application/") && type.endsWith("+json"));
  }

  /** True unless the body carries a content coding other than identity. */
  static boolean isIdentityEncoded(HttpHeaders headers) {
    for (String value : headers.getAll(HttpHeaderNames.CONTENT_ENCODING)) {
      for (String token : value.split(",")) {
        String t = token.trim();
        if (!t.isEmpty() && !t.equalsIgnoreCase("identity")) {
          return false;
        }
      }
    }
    return true;
  }

  /** The request target in origin form ({@code /path?query}); absolute form is reduced to it. */
  static String originForm(String target) {
    if (target.startsWith("/") || target.equals("*")) {
      return target;
    }
    try {
      URI uri = new URI(target);
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /**
   * The path rules are matched against: percent-decoded, repeated slashes collapsed, {@code .}
   * and {@code ..} segments resolved, so that {@code /v1/%63ustomers} and {@code /v1//x/../customers}
   * cannot slip past a rule for {@code /v1/customers/**}. Null when the target is not a path.
   */
  static String matchPath(String originForm) {
    if (originForm == null || !originForm.startsWith("/")) {
      return null;
    }
    int q = originForm.indexOf('?');
    String raw = q < 0 ? originForm : originForm.substring(0, q);
    String decoded = percentDecode(raw);
    if (decoded == null) {
      return null;
    }
    Deque<String> segments = new ArrayDeque<>();
    for (String s : decoded.split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        segments.pollLast();
      } else {
        segments.addLast(s);
      }
    }
    String path = "/" + String.join("/", segments);
    return decoded.endsWith("/") && !segments.isEmpty() ? path + "/" : path;
  }

  /** RFC 3986 percent-decoding as UTF-8 ('+' stays '+'); null for a broken escape. */
  private static String percentDecode(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != '%') {
        out.write(bytes[i]);
        continue;
      }
      int hi = i + 2 < bytes.length ? Character.digit(bytes[i + 1], 16) : -1;
      int lo = i + 2 < bytes.length ? Character.digit(bytes[i + 2], 16) : -1;
      if (hi < 0 || lo < 0) {
        return null;
      }
      out.write(hi * 16 + lo);
      i += 2;
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
