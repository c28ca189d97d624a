package io.keyward.cli.dev;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the sidecar through {@code io.keyward.sidecar.SidecarConfig.load} and {@code
 * SidecarLauncher.start}, looked up by name so that this module compiles before the sidecar
 * exists. TODO(integrator): once the sidecar is merged, replace the reflection with direct calls.
 */
final class ReflectiveDevSidecar implements DevSidecar {
  @Override
  public Running start(String keyserver, Path caFile, Path tokenFile, int httpPort, String defaultKey)
      throws Exception {
    Class<?> configClass;
    Class<?> launcherClass;
    try {
      configClass = Class.forName("io.keyward.sidecar.SidecarConfig");
      launcherClass = Class.forName("io.keyward.sidecar.SidecarLauncher");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("the sidecar is not part of this build");
    }
    // Flags as in docs/sidecar.md; the sidecar's gRPC API is not needed for dev, so any free port.
    List<String> args = List.of(
        "--keyserver", keyserver,
        "--keyserver-ca-file", caFile.toString(),
        "--token-file", tokenFile.toString(),
        "--http-listen", "127.0.0.1:" + httpPort,
        "--grpc-listen", "127.0.0.1:0",
        "--default-key", defaultKey);
    try {
      Object config = configClass.getMethod("load", Optional.class, Map.class, List.class)
          .invoke(null, Optional.empty(), Map.of(), args);
      Object running = launcherClass.getMethod("start", configClass).invoke(null, config);
      Method port = running.getClass().getMethod("httpPort");
      Method close = running.getClass().getMethod("close");
      return new Running() {
        @Override
        public int httpPort() {
          return invokeInt(port, running);
        }

        @Override
        public void close() {
          try {
            close.invoke(running);
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot stop the sidecar", e);
          }
        }
      };
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalStateException(cause == null ? "sidecar failed to start" : cause.getMessage(), cause);
    }
  }

  private static int invokeInt(Method m, Object target) {
    try {
      return (Integer) m.invoke(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the sidecar's port", e);
    }
  }
}
