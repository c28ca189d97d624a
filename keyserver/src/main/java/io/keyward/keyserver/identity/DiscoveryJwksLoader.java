package io.keyward.keyserver.identity;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.text.ParseException;
import java.util.Map;
import java.util.Optional;

/**
 * OIDC discovery: reads {@code {issuer}/.well-known/openid-configuration}, checks that it speaks
 * for the configured issuer, then fetches its {@code jwks_uri}. Discovery is repeated on every
 * load so that a moved {@code jwks_uri} is followed.
 */
final class DiscoveryJwksLoader implements JwksLoader {
  private final String issuer;
  private final URI configurationUrl;
  private final HttpFetcher http;

  DiscoveryJwksLoader(String issuer, HttpFetcher http) {
    this.issuer = issuer;
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    this.configurationUrl = URI.create(base + "/.well-known/openid-configuration");
    this.http = http;
  }

  @Override
  public Optional<String> load() throws IOException {
    Map<String, Object> configuration;
    try {
      configuration = JSONObjectUtils.parse(http.get(configurationUrl));
    } catch (ParseException e) {
      throw new IOException("discovery document at " + configurationUrl + " is not a JSON object");
    }
    // OIDC Discovery 1.0 section 4.3: the document must name the issuer it was fetched for.
    if (!issuer.equals(configuration.get("issuer"))) {
      throw new IOException("discovery document at " + configurationUrl + " names another issuer");
    }
    Object jwksUri = configuration.get("jwks_uri");
    if (!(jwksUri instanceof String)) {
      throw new IOException("discovery document at " + configurationUrl + " has no jwks_uri");
    }
    try {
      return Optional.of(http.get(new URI((String) jwksUri)));
    } catch (URISyntaxException e) {
      throw new IOException("discovery document at " + configurationUrl + " has a malformed jwks_uri");
    }
  }

  @Override
  public String toString() {
    return "discovery " + configurationUrl;
  }
}
