package io.keyward.cli.dev;

import io.keyward.sidecar.SidecarConfig;
import io.keyward.sidecar.SidecarLauncher;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Starts the development sidecar in this process, configured by the same flags a user would pass. */
final class LocalDevSidecar implements DevSidecar {
  @Override
  public Running start(String keyserver, Path caFile, Path tokenFile, int httpPort, String defaultKey)
      throws Exception {
    // The sidecar's gRPC API is not needed for dev, so it takes any free port.
    List<String> args = List.of(
        "--keyserver", keyserver,
        "--keyserver-ca-file", caFile.toString(),
        "--token-file", tokenFile.toString(),
        "--http-listen", "127.0.0.1:" + httpPort,
        "--grpc-listen", "127.0.0.1:0",
        "--default-key", defaultKey);
    SidecarLauncher.Running running = SidecarLauncher.start(SidecarConfig.load(Optional.empty(), Map.of(), args));
    return new Running() {
      @Override
      public int httpPort() {
        return running.httpPort();
      }

      @Override
      public void close() {
        running.close();
      }
    };
  }
}
