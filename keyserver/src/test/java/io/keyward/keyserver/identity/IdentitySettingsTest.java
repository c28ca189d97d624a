package io.keyward.keyserver.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdentitySettingsTest {
  private static final TrustedIssuer FILE_ISSUER =
      TrustedIssuer.builder("https://cluster.example").jwksFile(Path.of("/etc/keyward/jwks.json")).build();

  private static String failure(org.junit.jupiter.api.function.Executable build) {
    return assertThrows(IllegalArgumentException.class, build).getMessage();
  }

  @Test
  void defaults() {
    IdentitySettings settings = IdentitySettings.builder().audience("keyward").addIssuer(FILE_ISSUER).build();

    assertEquals("keyward", settings.audience());
    assertEquals(Duration.ofSeconds(30), settings.clockSkew());
    assertEquals(Duration.ofSeconds(30), settings.jwksRefreshMinInterval());
    assertEquals(Duration.ofMinutes(5), settings.jwksMaxAge());
    assertEquals(100_000, settings.tokenCacheMaxEntries());
    assertEquals(Duration.ofMinutes(5), settings.tokenCacheMaxAge());
    assertEquals(Clock.systemUTC(), settings.clock());
    assertEquals(1, settings.issuers().size());
  }

  @Test
  void clockSkewMustBeWithinZeroToSixtySeconds() {
    assertEquals("clock skew must be between PT0S and PT1M, got PT-5S",
        failure(() -> IdentitySettings.builder().clockSkew(Duration.ofSeconds(-5))));
    assertEquals("clock skew must be between PT0S and PT1M, got PT1M1S",
        failure(() -> IdentitySettings.builder().clockSkew(Duration.ofSeconds(61))));
    assertEquals(Duration.ZERO, IdentitySettings.builder().audience("a").addIssuer(FILE_ISSUER)
        .clockSkew(Duration.ZERO).build().clockSkew());
  }

  @Test
  void audienceAndIssuersAreRequired() {
    assertEquals("audience must not be empty, got \" \"", failure(() -> IdentitySettings.builder().audience(" ")));
    assertEquals("audience is required", failure(() -> IdentitySettings.builder().addIssuer(FILE_ISSUER).build()));
    assertEquals("at least one trusted issuer is required",
        failure(() -> IdentitySettings.builder().audience("keyward").build()));
    assertEquals("issuer https://cluster.example is configured twice",
        failure(() -> IdentitySettings.builder().audience("keyward").addIssuer(FILE_ISSUER).addIssuer(FILE_ISSUER).build()));
  }

  @Test
  void boundsOnRefreshAndCache() {
    assertEquals("JWKS refresh min interval must be between PT1S and PT1H, got PT0S",
        failure(() -> IdentitySettings.builder().jwksRefreshMinInterval(Duration.ZERO)));
    assertEquals("JWKS max age must be between PT10S and PT24H, got PT48H",
        failure(() -> IdentitySettings.builder().jwksMaxAge(Duration.ofHours(48))));
    assertEquals("token cache max entries must be between 1 and 10000000, got 0",
        failure(() -> IdentitySettings.builder().tokenCacheMaxEntries(0)));
    assertEquals("token cache max age must be between PT1S and PT1H, got PT-1S",
        failure(() -> IdentitySettings.builder().tokenCacheMaxAge(Duration.ofSeconds(-1))));
  }

  @Test
  void issuerNeedsExactlyOneKeySource() {
    assertEquals("issuer https://c.example: set exactly one of jwksFile, jwksUrl, discovery, got 0",
        failure(() -> TrustedIssuer.builder("https://c.example").build()));
    assertEquals("issuer https://c.example: set exactly one of jwksFile, jwksUrl, discovery, got 2",
        failure(() -> TrustedIssuer.builder("https://c.example").jwksFile(Path.of("a.json")).discovery(true).build()));
    assertEquals("issuer must not be empty, got \"\"", failure(() -> TrustedIssuer.builder("")));
  }

  @Test
  void keysAreFetchedOnlyOverHttpsOrLoopbackHttp() {
    assertEquals("issuer https://c.example: jwksUrl must be an https URL (http only to a loopback host), "
            + "got http://c.example/keys",
        failure(() -> TrustedIssuer.builder("https://c.example").jwksUrl(URI.create("http://c.example/keys")).build()));
    assertTrue(failure(() -> TrustedIssuer.builder("kubernetes").discovery(true).build())
        .contains("issuer (for discovery) must be an https URL"));
    assertTrue(TrustedIssuer.builder("https://c.example").jwksUrl(URI.create("http://127.0.0.1:8080/keys")).build()
        .jwksUrl().isPresent());
    assertTrue(TrustedIssuer.builder("https://c.example").discovery(true).caFile(Path.of("ca.pem")).build().discovery());
  }

  @Test
  void caFileOnlyWithRemoteSources() {
    assertEquals("issuer https://c.example: caFile applies only to jwksUrl or discovery",
        failure(() -> TrustedIssuer.builder("https://c.example").jwksFile(Path.of("a.json"))
            .caFile(Path.of("ca.pem")).build()));
  }
}
