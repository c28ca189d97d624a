package io.keyward.sidecar;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code keyward sidecar [--config FILE] [--flag value ...]}: runs until SIGTERM or SIGINT, then
 * drains. Exit codes: 0 after a clean stop, 2 for bad configuration, 3 when start-up fails.
 */
public final class SidecarMain {
  private SidecarMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the sidecar until it is stopped; returns the process exit code. */
  public static int run(String[] args) {
    Optional<Path> configFile = Optional.empty();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        configFile = Optional.of(Path.of(args[++i]));
      } else if (args[i].startsWith("--config=")) {
        configFile = Optional.of(Path.of(args[i].substring("--config=".length())));
      } else {
        rest.add(args[i]);
      }
    }
    SidecarConfig config;
    try {
      config = SidecarConfig.load(configFile, System.getenv(), rest);
    } catch (ConfigException e) {
      System.err.println("keyward sidecar: " + e.getMessage());
      return 2;
    }
    DefaultTrustStore.emptyWhenUnused(config, System.getProperties());
    SidecarLauncher.Running running;
    try {
      running = SidecarLauncher.start(config);
    } catch (SidecarLauncher.StartupException e) {
      System.err.println("keyward sidecar: " + e.getMessage());
      return 3;
    }
    // From the process's start time in /proc: the JVM's own MXBean would load JMX (46 classes).
    long startedMillis = ProcessHandle.current().info().startInstant()
        .map(start -> Duration.between(start, Instant.now()).toMillis()).orElse(-1L);
    System.out.println("keyward sidecar: listening http " + config.httpListen().host() + ":"
        + running.httpPort() + ", grpc " + config.grpcListen().host() + ":" + running.grpcPort()
        + config.httpUnixSocket().map(p -> ", http socket " + p).orElse("")
        + config.grpcUnixSocket().map(p -> ", grpc socket " + p).orElse("")
        + running.healthPort().map(p -> ", health port " + p).orElse("")
        + " (started in " + startedMillis + " ms)");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }, "keyward-sidecar-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
