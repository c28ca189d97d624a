package io.keyward.keyserver.identity;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One token issuer the keyserver trusts (for example one Kubernetes cluster), and where its
 * verification keys come from: exactly one of a JWKS file, a JWKS URL, or OIDC discovery.
 * Immutable; build with {@link #builder(String)}.
 */
public final class TrustedIssuer {
  private final String issuer;
  private final Optional<Path> jwksFile;
  private final Optional<URI> jwksUrl;
  private final boolean discovery;
  private final Optional<Path> caFile;

  private TrustedIssuer(Builder b) {
    this.issuer = b.issuer;
    this.jwksFile = Optional.ofNullable(b.jwksFile);
    this.jwksUrl = Optional.ofNullable(b.jwksUrl);
    this.discovery = b.discovery;
    this.caFile = Optional.ofNullable(b.caFile);
  }

  /** @param issuer the exact {@code iss} value tokens from this issuer carry */
  public static Builder builder(String issuer) {
    return new Builder(issuer);
  }

  /** The exact {@code iss} a token must carry to be checked against this issuer's keys. */
  public String issuer() {
    return issuer;
  }

  public Optional<Path> jwksFile() {
    return jwksFile;
  }

  public Optional<URI> jwksUrl() {
    return jwksUrl;
  }

  /** Whether keys come from {@code {issuer}/.well-known/openid-configuration} → {@code jwks_uri}. */
  public boolean discovery() {
    return discovery;
  }

  /** PEM file of CA certificates trusted for HTTPS to this issuer; empty = the JDK's default trust. */
  public Optional<Path> caFile() {
    return caFile;
  }

  @Override
  public String toString() {
    String source =
        jwksFile.map(f -> "jwksFile=" + f).orElseGet(() -> jwksUrl.map(u -> "jwksUrl=" + u).orElse("discovery"));
    return "TrustedIssuer{" + issuer + ", " + source + caFile.map(f -> ", caFile=" + f).orElse("") + "}";
  }

  /** Validating builder: every problem fails {@link #build()} with a message naming the issuer. */
  public static final class Builder {
    private final String issuer;
    private Path jwksFile;
    private URI jwksUrl;
    private boolean discovery;
    private Path caFile;

    private Builder(String issuer) {
      if (issuer == null || issuer.isBlank()) {
        throw new IllegalArgumentException("issuer must not be empty, got \"" + issuer + "\"");
      }
      this.issuer = issuer;
    }

    /** Keys from a local JWKS file, re-read when it changes (e.g. a mounted ConfigMap). */
    public Builder jwksFile(Path file) {
      this.jwksFile = Objects.requireNonNull(file, "jwksFile");
      return this;
    }

    /** Keys from a JWKS URL: https, or http only to a loopback address. */
    public Builder jwksUrl(URI url) {
      this.jwksUrl = Objects.requireNonNull(url, "jwksUrl");
      return this;
    }

    /** Keys found through OIDC discovery under the issuer URL. */
    public Builder discovery(boolean enabled) {
      this.discovery = enabled;
      return this;
    }

    /** CA certificates (PEM) for HTTPS to the JWKS or discovery URL. */
    public Builder caFile(Path file) {
      this.caFile = Objects.requireNonNull(file, "caFile");
      return this;
    }

    public TrustedIssuer build() {
      int sources = (jwksFile != null ? 1 : 0) + (jwksUrl != null ? 1 : 0) + (discovery ? 1 : 0);
      if (sources != 1) {
        throw new IllegalArgumentException(
            "issuer " + issuer + ": set exactly one of jwksFile, jwksUrl, discovery, got " + sources);
      }
      if (jwksUrl != null) {
        requireSafeHttpUrl("jwksUrl", jwksUrl);
      }
      if (discovery) {
        requireSafeHttpUrl("issuer (for discovery)", parseUri(issuer));
      }
      if (caFile != null && jwksFile != null) {
        throw new IllegalArgumentException("issuer " + issuer + ": caFile applies only to jwksUrl or discovery");
      }
      return new TrustedIssuer(this);
    }

    private URI parseUri(String value) {
      try {
        return new URI(value);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("issuer " + issuer + ": not a URL: " + value, e);
      }
    }

    private void requireSafeHttpUrl(String what, URI url) {
      if (!SafeUrls.isAllowed(url)) {
        throw new IllegalArgumentException(
            "issuer " + issuer + ": " + what + " must be an https URL (http only to a loopback host), got " + url);
      }
    }
  }
}
