package io.keyward.keyserver;

import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.audit.JdbcAuditLog;
import io.keyward.keyserver.config.ServerConfig;
import io.keyward.keyserver.identity.IdentitySettings;
import io.keyward.keyserver.identity.JwtTokenVerifier;
import io.keyward.keyserver.identity.TrustedIssuer;
import io.keyward.keyserver.metrics.MetricsEndpoint;
import io.keyward.keyserver.rootkey.FileRootKey;
import io.keyward.keyserver.rootkey.PassphraseRootKey;
import io.keyward.keyserver.rootkey.Pkcs11RootKey;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rootkey.RootKeyCheck;
import io.keyward.keyserver.rootkey.RootKeyException;
import io.keyward.keyserver.rootkey.RootKeyRing;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles a keyserver from its configuration, in the order that lets it refuse to start
 * cleanly: store, root key, root-key check, audit log, identity, then the network. Anything
 * missing or wrong ends start-up with a {@link StartupException} naming the problem; nothing is
 * left half-open.
 */
public final class KeyserverLauncher {
  private static final Logger log = LoggerFactory.getLogger(KeyserverLauncher.class);

  private KeyserverLauncher() {}

  /** A started keyserver and its metrics endpoint. */
  public static final class Running implements AutoCloseable {
    private final Keyserver keyserver;
    private final Optional<MetricsEndpoint> metrics;

    Running(Keyserver keyserver, Optional<MetricsEndpoint> metrics) {
      this.keyserver = keyserver;
      this.metrics = metrics;
    }

    public int grpcPort() {
      return keyserver.port();
    }

    public Optional<Integer> metricsPort() {
      return metrics.map(MetricsEndpoint::port);
    }

    public Keyserver keyserver() {
      return keyserver;
    }

    @Override
    public void close() {
      keyserver.close();
      metrics.ifPresent(MetricsEndpoint::close);
    }
  }

  /** Start-up failed; the message says what to fix and holds no secret. */
  public static final class StartupException extends Exception {
    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static Running start(ServerConfig config, Clock clock) throws StartupException {
    JdbcKeyStore store = null;
    RootKey rootKey = null;
    AuditLog audit = null;
    try {
      store = Stores.open(config.store());
      rootKey = openRootKey(config.rootKey(), store);
      RootKeyCheck.verifyOrInitialize(store, rootKey);
      audit = JdbcAuditLog.open(store.database());
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Keyserver keyserver = Keyserver.builder()
          .serverBuilder(serverBuilder(config))
          .store(store)
          .rootKey(rootKey)
          .auditLog(audit)
          .tokenVerifier(JwtTokenVerifier.create(identitySettings(config.identity(), clock)))
          .clock(clock)
          .meterRegistry(registry)
          .destroyWaitingPeriods(config.keys().destroyMinWaitingPeriod(), config.keys().destroyDefaultWaitingPeriod())
          .maintenanceInterval(config.keys().maintenanceInterval())
          .shutdownGrace(config.shutdownGracePeriod().isZero()
              ? java.time.Duration.ofMillis(1) : config.shutdownGracePeriod())
          .build();
      if (config.policyFile().isPresent()) {
        keyserver.authorizer().seedIfEmpty(Files.readString(config.policyFile().get()));
      }
      keyserver.start();
      Optional<MetricsEndpoint> metrics = Optional.empty();
      if (config.metricsListen().isPresent()) {
        ServerConfig.HostPort hp = config.metricsListen().get();
        metrics = Optional.of(MetricsEndpoint.start(new InetSocketAddress(hp.host(), hp.port()), registry));
      }
      return new Running(keyserver, metrics);
    } catch (RootKeyException e) {
      closeQuietly(audit, rootKey, store);
      throw new StartupException("root key: " + e.getMessage(), e);
    } catch (KeyserverException e) {
      closeQuietly(audit, rootKey, store);
      throw new StartupException(e.getMessage(), e);
    } catch (IOException | UncheckedIOException e) {
      closeQuietly(audit, rootKey, store);
      throw new StartupException("cannot start: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(audit, rootKey, store);
      throw new StartupException("cannot start: " + e.getMessage(), e);
    }
  }

  /**
   * The configured root key; with a previous root key ({@code rootKey.previous*}, around a
   * root-key rotation) a {@link RootKeyRing} holding both.
   */
  static RootKey openRootKey(ServerConfig.RootKeyConfig config, JdbcKeyStore store) throws RootKeyException {
    RootKey current = open(config.source(), config.createIfMissing(), store);
    if (config.previous().isEmpty()) {
      return current;
    }
    try {
      RootKey previous = open(config.previous().get(), false, store);
      try {
        RootKeyRing ring = RootKeyRing.of(current, previous);
        log.info("holding two root keys: {} and the previous one {}; new versions are wrapped under whichever the"
            + " store is under", current.id(), previous.id());
        return ring;
      } catch (IllegalArgumentException e) {
        previous.close();
        throw new RootKeyException(e.getMessage(), e);
      }
    } catch (RootKeyException | RuntimeException e) {
      current.close();
      throw e;
    }
  }

  private static RootKey open(ServerConfig.RootKeySource source, boolean createIfMissing, JdbcKeyStore store)
      throws RootKeyException {
    if (source instanceof ServerConfig.Pkcs11Key p) {
      String pin = System.getenv(p.pinVariable());
      if (pin == null || pin.isEmpty()) {
        throw new RootKeyException("environment variable " + p.pinVariable() + " (the PKCS#11 PIN) is not set");
      }
      char[] chars = pin.toCharArray();
      try {
        return Pkcs11RootKey.open(p.sunPkcs11Config(), p.keyLabel(), chars);
      } finally {
        java.util.Arrays.fill(chars, '\0');
      }
    }
    if (source instanceof ServerConfig.KeyFile f) {
      return createIfMissing ? FileRootKey.createIfMissing(f.path()) : FileRootKey.load(f.path());
    }
    if (source instanceof ServerConfig.PassphraseEnv p) {
      return PassphraseRootKey.fromEnvironment(p.variable(), store);
    }
    return PassphraseRootKey.fromFile(((ServerConfig.PassphraseFile) source).path(), store);
  }

  static IdentitySettings identitySettings(ServerConfig.Identity identity, Clock clock) {
    IdentitySettings.Builder b = IdentitySettings.builder()
        .audience(identity.audience())
        .clockSkew(identity.clockSkew())
        .jwksRefreshMinInterval(identity.jwksRefreshMinInterval())
        .clock(clock);
    for (ServerConfig.IssuerConfig issuer : identity.issuers()) {
      TrustedIssuer.Builder t = TrustedIssuer.builder(issuer.issuer());
      if (issuer.jwks() instanceof ServerConfig.JwksFile f) {
        t.jwksFile(f.path());
      } else if (issuer.jwks() instanceof ServerConfig.JwksUrl u) {
        t.jwksUrl(u.url());
      } else {
        t.discovery(true);
      }
      issuer.caFile().ifPresent(t::caFile);
      b.addIssuer(t.build());
    }
    return b.build();
  }

  static ServerBuilder<?> serverBuilder(ServerConfig config) throws IOException {
    ServerConfig.HostPort listen = config.listen();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(listen.host(), listen.port()))
        .permitKeepAliveTime(30, TimeUnit.SECONDS)
        .maxInboundMessageSize(64 * 1024);
    if (config.tls().isPresent()) {
      ServerConfig.Tls tls = config.tls().get();
      SslContextBuilder ssl = GrpcSslContexts.forServer(tls.certFile().toFile(), tls.keyFile().toFile());
      if (tls.clientCaFile().isPresent()) {
        ssl.trustManager(tls.clientCaFile().get().toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      builder.sslContext(ssl.build());
    } else {
      log.warn("TLS is off (insecureDev): tokens and data keys cross the network in plaintext. Development only.");
    }
    return builder;
  }

  private static void closeQuietly(AutoCloseable... resources) {
    for (AutoCloseable r : resources) {
      if (r != null) {
        try {
          r.close();
        } catch (Exception ignored) {
          // start-up already failed; the original error is what matters
        }
      }
    }
  }
}
