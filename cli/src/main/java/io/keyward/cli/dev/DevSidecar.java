package io.keyward.cli.dev;

import java.nio.file.Path;

/**
 * The one step of {@code keyward dev} that starts a sidecar connected to the development
 * keyserver. Kept behind this interface because the sidecar module is built separately.
 */
public interface DevSidecar {
  /** A started sidecar. */
  interface Running extends AutoCloseable {
    int httpPort();

    @Override
    void close();
  }

  /**
   * Starts a sidecar on loopback {@code httpPort} (0: any free port) that talks TLS to {@code
   * keyserver}, trusting {@code caFile}, with the workload token read from {@code tokenFile}.
   *
   * @throws Exception when it cannot start; {@code keyward dev} then reports it as not started
   */
  Running start(String keyserver, Path caFile, Path tokenFile, int httpPort, String defaultKey) throws Exception;
}
