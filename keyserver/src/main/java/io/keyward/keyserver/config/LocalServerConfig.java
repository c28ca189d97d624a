package io.keyward.keyserver.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes the configuration file of a keyserver whose files all live on this machine: TLS from
 * PEM files, one store, a root key file (created when missing), one JWT issuer with a JWKS file
 * and a seed policy file. Used by {@code keyward dev}, the test fixtures and the load drivers,
 * so that the configuration format is spelled out in one place besides {@link ServerConfig}.
 */
public final class LocalServerConfig {
  private int listenPort;
  private Path certFile;
  private Path keyFile;
  private String store;
  private Path rootKeyFile;
  private String issuer;
  private Path jwksFile;
  private Path policyFile;
  private String destroyMinWaitingPeriod;
  private String destroyDefaultWaitingPeriod;
  private String shutdownGracePeriod = "2s";
  private String header = "";
  private String metricsListen = "";

  private LocalServerConfig() {}

  public static LocalServerConfig builder() {
    return new LocalServerConfig();
  }

  /** 0 picks a free port. */
  public LocalServerConfig listenPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("listen port must be 0..65535, got " + port);
    }
    this.listenPort = port;
    return this;
  }

  public LocalServerConfig tls(Path certFile, Path keyFile) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    return this;
  }

  /** {@code sqlite:PATH} or a PostgreSQL URL. */
  public LocalServerConfig store(String store) {
    this.store = store;
    return this;
  }

  public LocalServerConfig rootKeyFile(Path file) {
    this.rootKeyFile = file;
    return this;
  }

  public LocalServerConfig issuer(String issuer, Path jwksFile) {
    this.issuer = issuer;
    this.jwksFile = jwksFile;
    return this;
  }

  public LocalServerConfig policyFile(Path file) {
    this.policyFile = file;
    return this;
  }

  /** Durations in the configuration's syntax, e.g. {@code 0s} and {@code 24h}. */
  public LocalServerConfig destroyWaitingPeriods(String minimum, String byDefault) {
    this.destroyMinWaitingPeriod = minimum;
    this.destroyDefaultWaitingPeriod = byDefault;
    return this;
  }

  public LocalServerConfig shutdownGracePeriod(String duration) {
    this.shutdownGracePeriod = duration;
    return this;
  }

  /** The Prometheus endpoint's {@code host:port} (port 0 picks a free one); off unless set. */
  public LocalServerConfig metricsListen(String hostPort) {
    this.metricsListen = Objects.requireNonNull(hostPort, "metricsListen");
    return this;
  }

  /** A comment written at the top of the file. */
  public LocalServerConfig comment(String text) {
    this.header = "# " + text + "\n";
    return this;
  }

  /** Writes the file; {@link ServerConfig#load} validates it when the server starts. */
  public Path writeTo(Path file) throws IOException {
    Objects.requireNonNull(certFile, "tls");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(rootKeyFile, "rootKeyFile");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(policyFile, "policyFile");
    String keys = destroyMinWaitingPeriod == null ? "" : """
        keys:
          destroyMinWaitingPeriod: %s
          destroyDefaultWaitingPeriod: %s
        """.formatted(destroyMinWaitingPeriod, destroyDefaultWaitingPeriod);
    return Files.writeString(file, header + """
        listen: 127.0.0.1:%d
        metricsListen: "%s"
        tls:
          certFile: %s
          keyFile: %s
        store: %s
        rootKey:
          file: %s
          createIfMissing: true
        identity:
          audience: keyward
          issuers:
            - issuer: %s
              jwksFile: %s
        policyFile: %s
        shutdownGracePeriod: %s
        """.formatted(listenPort, metricsListen, certFile, keyFile, store, rootKeyFile, issuer, jwksFile, policyFile,
        shutdownGracePeriod) + keys);
  }
}
