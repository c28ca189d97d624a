package io.keyward.keyserver.identity;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.util.Map;
import java.util.regex.Pattern;

/** Turns a bearer string into a parsed, not yet verified, JWS whose header passed {@link HeaderPolicy}. */
final class CompactJws {
  /** Real service-account tokens are 1-2 KiB; anything far bigger is not one. */
  static final int MAX_LENGTH = 8 * 1024;

  /**
   * Exactly three strict base64url segments; no padding, whitespace or JWE (five segments). The
   * payload may be empty at this layer (a valid JWS); the claims layer then refuses it.
   */
  private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+");

  private CompactJws() {}

  /** The bounds checked before anything else, the token cache lookup included. */
  static void checkLength(String token) throws TokenRejectedException {
    if (token == null || token.isEmpty()) {
      throw new TokenRejectedException("empty token");
    }
    if (token.length() > MAX_LENGTH) {
      throw new TokenRejectedException("token too large: " + token.length() + " chars, limit " + MAX_LENGTH);
    }
  }

  static JWSObject parse(String token) throws TokenRejectedException {
    checkLength(token);
    if (!SHAPE.matcher(token).matches()) {
      throw new TokenRejectedException("not a compact JWS");
    }
    int dot = token.indexOf('.');
    Map<String, Object> header;
    try {
      header = JSONObjectUtils.parse(new Base64URL(token.substring(0, dot)).decodeToString());
    } catch (ParseException | RuntimeException e) {
      throw new TokenRejectedException("malformed header");
    }
    HeaderPolicy.check(header);
    try {
      return JWSObject.parse(token);
    } catch (ParseException e) {
      throw new TokenRejectedException("malformed header");
    }
  }
}
