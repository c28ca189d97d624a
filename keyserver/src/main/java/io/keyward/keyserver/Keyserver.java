package io.keyward.keyserver;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.keyward.keyserver.audit.AuditLog;
import io.keyward.keyserver.identity.TokenVerifier;
import io.keyward.keyserver.keys.Authorizer;
import io.keyward.keyserver.keys.AutoRotation;
import io.keyward.keyserver.keys.DataKeys;
import io.keyward.keyserver.keys.KeyAdministration;
import io.keyward.keyserver.keys.KeyCatalog;
import io.keyward.keyserver.keys.Maintenance;
import io.keyward.keyserver.rootkey.RootKey;
import io.keyward.keyserver.rpc.CallExecutors;
import io.keyward.keyserver.rpc.CallWorkers;
import io.keyward.keyserver.rpc.KeyserverServices;
import io.keyward.keyserver.rpc.MetricsInterceptor;
import io.keyward.keyserver.store.KeyStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyserver: KeyService and AdminService behind authentication, metrics and audit, plus the
 * gRPC health service, on a {@link ServerBuilder} the caller chooses (Netty with TLS in
 * production, in-process in tests). It owns and closes the store, root key and audit log.
 */
public final class Keyserver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Keyserver.class);
  public static final String SERVICE_NAME = "keyward.v1.KeyService";

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Maintenance maintenance;
  private final Authorizer authorizer;
  private final ScheduledExecutorService background;
  private final CallWorkers workers = new CallWorkers();
  private final KeyStore store;
  private final RootKey rootKey;
  private final AuditLog audit;
  private final Duration shutdownGrace;
  private final Duration maintenanceInterval;

  private Keyserver(Builder b) {
    this.store = b.store;
    this.rootKey = b.rootKey;
    this.audit = b.audit;
    this.shutdownGrace = b.shutdownGrace;
    this.maintenanceInterval = b.maintenanceInterval;
    this.background = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "keyward-maintenance");
      t.setDaemon(true);
      return t;
    });
    KeyCatalog catalog = new KeyCatalog(store, rootKey, b.clock, b.recordTtl);
    catalog.bindMetrics(b.meterRegistry);
    this.authorizer = new Authorizer(store, b.clock);
    AutoRotation autoRotation = new AutoRotation(catalog, background, audit);
    KeyAdministration admin = new KeyAdministration(catalog, authorizer, b.minimumDestroyWait, b.defaultDestroyWait);
    this.maintenance = new Maintenance(catalog, admin, autoRotation, authorizer);
    DataKeys dataKeys = new DataKeys(catalog, authorizer, autoRotation);
    KeyserverServices services =
        new KeyserverServices(dataKeys, admin, authorizer, audit, b.tokenVerifier, b.clock, workers);
    MetricsInterceptor metrics = new MetricsInterceptor(b.meterRegistry);
    b.serverBuilder
        .executor(workers)
        .callExecutor(new CallExecutors(b.tokenVerifier))
        .addService(ServerInterceptors.intercept(services.keyService(), metrics))
        .addService(ServerInterceptors.intercept(services.adminService(), metrics))
        .addService(health.getHealthService());
    this.server = b.serverBuilder.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Keyserver start() throws IOException {
    server.start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(SERVICE_NAME, ServingStatus.SERVING);
    long every = maintenanceInterval.toMillis();
    background.scheduleWithFixedDelay(maintenance, every, every, TimeUnit.MILLISECONDS);
    log.info("keyserver listening on port {}", server.getPort());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  /** For start-up seeding and tests. */
  public Authorizer authorizer() {
    return authorizer;
  }

  /** Runs the periodic housekeeping now (tests, and a final flush at shutdown). */
  public void runMaintenance() {
    maintenance.run();
  }

  /**
   * Drains: reports NOT_SERVING, refuses new calls, lets calls in flight finish within the grace
   * period, flushes counters, then closes the audit log, store and root key.
   */
  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("calls still running after {}; cancelling them", shutdownGrace);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    background.shutdownNow();
    workers.shutdown();
    maintenance.run();
    audit.close();
    store.close();
    rootKey.close();
    log.info("keyserver stopped");
  }

  /** Settings for {@link Keyserver}; every component is required unless it has a default. */
  public static final class Builder {
    private ServerBuilder<?> serverBuilder;
    private KeyStore store;
    private RootKey rootKey;
    private AuditLog audit;
    private TokenVerifier tokenVerifier;
    private Clock clock = Clock.systemUTC();
    private MeterRegistry meterRegistry = new SimpleMeterRegistry();
    private Duration recordTtl = Duration.ofSeconds(5);
    private Duration minimumDestroyWait = Duration.ofHours(24);
    private Duration defaultDestroyWait = Duration.ofDays(30);
    private Duration maintenanceInterval = Duration.ofMinutes(1);
    private Duration shutdownGrace = Duration.ofSeconds(20);

    public Builder serverBuilder(ServerBuilder<?> v) { this.serverBuilder = v; return this; }
    public Builder store(KeyStore v) { this.store = v; return this; }
    public Builder rootKey(RootKey v) { this.rootKey = v; return this; }
    public Builder auditLog(AuditLog v) { this.audit = v; return this; }
    public Builder tokenVerifier(TokenVerifier v) { this.tokenVerifier = v; return this; }
    public Builder clock(Clock v) { this.clock = v; return this; }
    public Builder meterRegistry(MeterRegistry v) { this.meterRegistry = v; return this; }

    /** How long a cached key record may be served before it is read again (replica staleness bound). */
    public Builder recordTtl(Duration v) { this.recordTtl = positive("record TTL", v); return this; }

    public Builder destroyWaitingPeriods(Duration minimum, Duration byDefault) {
      if (minimum.isNegative()) {
        throw new IllegalArgumentException("minimum destroy waiting period must not be negative, got " + minimum);
      }
      if (byDefault.compareTo(minimum) < 0) {
        throw new IllegalArgumentException(
            "default destroy waiting period must be at least the minimum " + minimum + ", got " + byDefault);
      }
      this.minimumDestroyWait = minimum;
      this.defaultDestroyWait = byDefault;
      return this;
    }

    public Builder maintenanceInterval(Duration v) { this.maintenanceInterval = positive("maintenance interval", v); return this; }
    public Builder shutdownGrace(Duration v) { this.shutdownGrace = positive("shutdown grace period", v); return this; }

    public Keyserver build() {
      Objects.requireNonNull(serverBuilder, "serverBuilder");
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(rootKey, "rootKey");
      Objects.requireNonNull(audit, "auditLog");
      Objects.requireNonNull(tokenVerifier, "tokenVerifier");
      return new Keyserver(this);
    }

    private static Duration positive(String what, Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + v);
      }
      return v;
    }
  }
}
