package io.keyward.keyserver;

import io.keyward.keyserver.config.ConfigException;
import io.keyward.keyserver.config.ServerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code keyserver [--config FILE] [--flag value ...]}: runs until SIGTERM or SIGINT, then drains.
 * Exit codes: 0 after a clean stop, 2 for bad configuration, 3 when start-up fails.
 */
public final class KeyserverMain {
  private KeyserverMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the server until it is stopped; returns the process exit code. */
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
    ServerConfig config;
    try {
      config = ServerConfig.load(configFile, System.getenv(), rest);
    } catch (ConfigException e) {
      System.err.println("keyward server: " + e.getMessage());
      return 2;
    }
    KeyserverLauncher.Running running;
    try {
      running = KeyserverLauncher.start(config, Clock.systemUTC());
    } catch (KeyserverLauncher.StartupException e) {
      System.err.println("keyward server: " + e.getMessage());
      return 3;
    }
    System.out.println("keyward server: listening on " + config.listen().host() + ":" + running.grpcPort()
        + running.metricsPort().map(p -> ", metrics on port " + p).orElse(""));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }, "keyward-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
