package io.keyward.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * A token issuer with a real, freshly generated signing key: mints compact JWTs the way a
 * Kubernetes API server or a SPIFFE server would, and publishes the matching public JWKS.
 *
 * <p>Supports RS256 (RSA 2048, the default), PS256, ES256 (P-256) and EdDSA (Ed25519). The
 * private key never leaves this object and {@link #toString()} does not show it. Has no test
 * framework dependency, so a developer CLI can reuse it as a dev token issuer.
 */
public final class TestTokenIssuer {
  /** The algorithms an issuer can be created with. */
  public static final Set<JWSAlgorithm> ALGORITHMS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA);

  private final String issuer;
  private final String keyId;
  private final JWSAlgorithm algorithm;
  private final Clock clock;
  private final TokenSigningKey key;

  private TestTokenIssuer(Builder b) {
    this(b.issuer, b.keyId, b.algorithm, b.clock, TokenSigningKey.generate(b.algorithm, b.keyId));
  }

  private TestTokenIssuer(String issuer, String keyId, JWSAlgorithm algorithm, Clock clock, TokenSigningKey key) {
    this.issuer = issuer;
    this.keyId = keyId;
    this.algorithm = algorithm;
    this.clock = clock;
    this.key = key;
  }

  /**
   * An RS256 issuer whose private key is kept in {@code jwkFile}: loaded when the file exists,
   * otherwise generated and written there (owner read/write only where the file system supports
   * POSIX permissions), so a development issuer keeps its key across restarts. For local
   * development and tests only: the key sits unencrypted on disk.
   *
   * @throws IllegalArgumentException when the file exists but holds no private RSA JWK
   */
  public static TestTokenIssuer loadOrCreate(Path jwkFile, String issuer) {
    Objects.requireNonNull(issuer, "issuer");
    try {
      RSAKey jwk;
      if (Files.exists(jwkFile)) {
        try {
          jwk = RSAKey.parse(Files.readString(jwkFile));
        } catch (ParseException e) {
          throw new IllegalArgumentException(jwkFile + " does not hold an RSA JWK");
        }
      } else {
        jwk = TokenSigningKey.generateRsaJwk(JWSAlgorithm.RS256, UUID.randomUUID().toString());
        writePrivate(jwkFile, jwk.toJSONString());
      }
      String keyId = jwk.getKeyID() == null ? "" : jwk.getKeyID();
      return new TestTokenIssuer(issuer, keyId, JWSAlgorithm.RS256, Clock.systemUTC(), TokenSigningKey.fromRsa(jwk));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the issuer key " + jwkFile, e);
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".issuer", ".tmp");
    try {
      if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      }
      Files.writeString(tmp, content);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** An RS256 issuer with a random key id, on the system clock. */
  public static TestTokenIssuer create(String issuer) {
    return builder().issuer(issuer).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public String issuer() {
    return issuer;
  }

  public String keyId() {
    return keyId;
  }

  public JWSAlgorithm algorithm() {
    return algorithm;
  }

  /** The public verification key as a JWK (no private part). */
  public JWK publicJwk() {
    return key.publicJwk();
  }

  /** {@code {"keys":[...]}} with this issuer's public key only. */
  public String jwksJson() {
    return jwksJson(this);
  }

  /** One JWKS holding the public keys of several issuers, e.g. an old and a new key during rotation. */
  public static String jwksJson(TestTokenIssuer... issuers) {
    List<JWK> keys = new ArrayList<>();
    Arrays.stream(issuers).forEach(i -> keys.add(i.publicJwk()));
    return new JWKSet(keys).toString(true);
  }

  /** Writes {@link #jwksJson()} to {@code file}, replacing it atomically so readers never see half a file. */
  public Path writeJwks(Path file) {
    return writeJwks(file, this);
  }

  /** Writes the combined JWKS of {@code issuers} to {@code file}, replacing it atomically. */
  public static Path writeJwks(Path file, TestTokenIssuer... issuers) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, ".jwks", ".tmp");
      Files.writeString(tmp, jwksJson(issuers));
      return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write JWKS to " + file, e);
    }
  }

  /** Starts a token with {@code iss}, {@code iat} = now and {@code exp} = now + 1h; nothing else. */
  public TokenBuilder token() {
    return new TokenBuilder();
  }

  /**
   * A projected service-account token as the kubelet mounts it: subject {@code
   * system:serviceaccount:NS:NAME}, audience {@code keyward}, valid for one hour, with {@code
   * kubernetes.io} claims.
   */
  public String kubernetesToken(String namespace, String serviceAccount) {
    return token()
        .subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
        .audience("keyward")
        .kubernetes(namespace, serviceAccount, null)
        .sign();
  }

  /** A SPIFFE JWT-SVID for {@code spiffeId}, audience {@code keyward}, valid for one hour. */
  public String spiffeToken(String spiffeId) {
    return token().subject(spiffeId).audience("keyward").sign();
  }

  @Override
  public String toString() {
    return "TestTokenIssuer{" + issuer + ", kid=" + keyId + ", " + algorithm + ", key=REDACTED}";
  }

  /** Fluent token under construction. Not thread-safe; use one per token. */
  public final class TokenBuilder {
    private final Map<String, Object> header = new LinkedHashMap<>();
    private final JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder();

    private TokenBuilder() {
      header.put("alg", algorithm.getName());
      header.put("kid", keyId);
      Instant now = clock.instant();
      claims.issuer(issuer).issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1))));
    }

    public TokenBuilder subject(String subject) {
      claims.subject(subject);
      return this;
    }

    public TokenBuilder audience(String... audiences) {
      claims.audience(List.of(audiences));
      return this;
    }

    /** Overrides {@code iss}; {@code null} removes it. */
    public TokenBuilder issuer(String issuerOverride) {
      claims.issuer(issuerOverride);
      return this;
    }

    /** Sets {@code exp}; {@code null} removes it. */
    public TokenBuilder expiresAt(Instant expiresAt) {
      claims.expirationTime(expiresAt == null ? null : Date.from(expiresAt));
      return this;
    }

    /** Sets {@code exp} to now + {@code lifetime} (negative for an already expired token). */
    public TokenBuilder expiresIn(Duration lifetime) {
      return expiresAt(clock.instant().plus(lifetime));
    }

    public TokenBuilder withoutExpiry() {
      return expiresAt(null);
    }

    /** Sets {@code nbf}; {@code null} removes it. */
    public TokenBuilder notBefore(Instant notBefore) {
      claims.notBeforeTime(notBefore == null ? null : Date.from(notBefore));
      return this;
    }

    /** Sets {@code iat}; {@code null} removes it. */
    public TokenBuilder issuedAt(Instant issuedAt) {
      claims.issueTime(issuedAt == null ? null : Date.from(issuedAt));
      return this;
    }

    /** Any other claim; values are JSON-compatible (String, Number, Boolean, List, Map). */
    public TokenBuilder claim(String name, Object value) {
      claims.claim(name, value);
      return this;
    }

    /**
     * Adds {@code kubernetes.io: {namespace, serviceaccount: {name, uid}, pod: {name, uid}}} as a
     * projected token carries it; {@code pod} may be {@code null} for a token not bound to a pod.
     */
    public TokenBuilder kubernetes(String namespace, String serviceAccount, String pod) {
      Map<String, Object> k8s = new LinkedHashMap<>();
      k8s.put("namespace", namespace);
      k8s.put("serviceaccount", Map.of("name", serviceAccount, "uid", UUID.randomUUID().toString()));
      if (pod != null) {
        k8s.put("pod", Map.of("name", pod, "uid", UUID.randomUUID().toString()));
      }
      return claim("kubernetes.io", k8s);
    }

    /**
     * Sets any JOSE header field, including registered ones such as {@code jwk}, {@code jku},
     * {@code x5c}, {@code crit}, {@code typ} or {@code kid}, for attack tests; {@code null}
     * removes the field. The token is still signed with this issuer's key and algorithm.
     */
    public TokenBuilder header(String name, Object value) {
      if ("alg".equals(name)) {
        throw new IllegalArgumentException("alg follows the issuer's key; build alg attacks by hand");
      }
      if (value == null) {
        header.remove(name);
      } else {
        header.put(name, value);
      }
      return this;
    }

    /** Signs and returns the compact serialization {@code header.payload.signature}. */
    public String sign() {
      try {
        SignedJWT jwt = new SignedJWT(JWSHeader.parse(new LinkedHashMap<>(header)), claims.build());
        jwt.sign(key.signer());
        return jwt.serialize();
      } catch (ParseException e) {
        throw new IllegalArgumentException("header fields do not form a valid JWS header", e);
      } catch (JOSEException e) {
        throw new IllegalStateException("signing failed", e);
      }
    }
  }

  /** Settings for a new issuer. */
  public static final class Builder {
    private String issuer = "https://issuer.test";
    private String keyId = UUID.randomUUID().toString();
    private JWSAlgorithm algorithm = JWSAlgorithm.RS256;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder issuer(String issuer) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      return this;
    }

    public Builder keyId(String keyId) {
      this.keyId = Objects.requireNonNull(keyId, "keyId");
      return this;
    }

    /** RS256 (default), PS256, ES256 or EdDSA. */
    public Builder algorithm(JWSAlgorithm algorithm) {
      if (!ALGORITHMS.contains(algorithm)) {
        throw new IllegalArgumentException("algorithm must be one of " + ALGORITHMS + ", got " + algorithm);
      }
      this.algorithm = algorithm;
      return this;
    }

    /** The clock that sets {@code iat} and the default {@code exp}; use a FakeClock in tests. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public TestTokenIssuer build() {
      return new TestTokenIssuer(this);
    }
  }
}
