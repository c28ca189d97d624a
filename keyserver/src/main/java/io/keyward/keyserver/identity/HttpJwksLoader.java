package io.keyward.keyserver.identity;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/** Fetches the JWKS from a fixed URL. */
final class HttpJwksLoader implements JwksLoader {
  private final URI url;
  private final HttpFetcher http;

  HttpJwksLoader(URI url, HttpFetcher http) {
    this.url = url;
    this.http = http;
  }

  @Override
  public Optional<String> load() throws IOException {
    return Optional.of(http.get(url));
  }

  @Override
  public String toString() {
    return "url " + url;
  }
}
