package io.keyward.injector;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/** Starts the webhook server in-process; used by {@link InjectorMain} and by tests. */
public final class InjectorLauncher {
  private InjectorLauncher() {}

  /** A running injector. */
  public static final class Running implements AutoCloseable {
    private final WebhookServer server;

    private Running(WebhookServer server) {
      this.server = server;
    }

    /** The bound HTTPS port (useful with port 0). */
    public int port() {
      return server.port();
    }

    /** Stops accepting connections and releases the threads; calling it again does nothing. */
    @Override
    public void close() {
      server.close();
    }
  }

  /**
   * Binds {@code listen} with TLS from the PEM files (certificate chain, PKCS#8 key) and serves
   * {@code /mutate}, {@code /healthz}, {@code /readyz}. Only TLS 1.2 and 1.3 are offered.
   *
   * @throws SSLException when the certificate or key cannot be loaded
   */
  public static Running start(InjectorConfig config, InetSocketAddress listen, Path certFile, Path keyFile)
      throws SSLException {
    return new Running(new WebhookServer(listen, certFile, keyFile, new AdmissionHandler(config)));
  }
}
