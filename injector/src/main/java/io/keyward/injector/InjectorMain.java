package io.keyward.injector;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLException;

/**
 * {@code keyward-injector --tls-cert-file F --tls-key-file F [--listen host:port] [--config F]
 * [--sidecar-image IMAGE] [--legacy-sidecar]}. Flags override the config file. Runs until SIGTERM.
 * Exit codes: 0 after a clean stop, 2 for bad flags or configuration, 3 when start-up fails.
 */
public final class InjectorMain {
  private InjectorMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the injector until it is stopped; returns the process exit code. */
  public static int run(String[] args) {
    return run(args, System.getenv(), new CountDownLatch(1));
  }

  /** As {@link #run(String[])}; returns once {@code stop} is counted down (tests) or on SIGTERM. */
  static int run(String[] args, Map<String, String> env, CountDownLatch stop) {
    Flags flags;
    InjectorConfig config;
    try {
      flags = Flags.parse(args);
      InjectorConfig.Builder b = InjectorConfig.builder();
      flags.config.ifPresent(f -> ConfigFile.apply(f, b));
      flags.sidecarImage.ifPresent(b::sidecarImage);
      if (flags.legacySidecar) {
        b.nativeSidecar(false);
      }
      // Set by the Deployment from the downward API: never inject into our own namespace.
      Optional.ofNullable(env.get("POD_NAMESPACE")).filter(s -> !s.isEmpty()).ifPresent(ns -> b.ownNamespace(Optional.of(ns)));
      config = b.build();
      for (Path p : new Path[] {flags.certFile, flags.keyFile}) {
        if (!Files.isReadable(p)) {
          throw new IllegalArgumentException("cannot read " + p);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("keyward-injector: " + e.getMessage());
      return 2;
    }
    InjectorLauncher.Running running;
    try {
      running = InjectorLauncher.start(config, flags.listen, flags.certFile, flags.keyFile);
    } catch (SSLException | UncheckedIOException e) {
      System.err.println("keyward-injector: " + e.getMessage());
      return 3;
    } catch (RuntimeException e) {
      System.err.println("keyward-injector: cannot listen on " + flags.listen + ": " + e);
      return 3;
    }
    System.out.println("keyward-injector: listening on port " + running.port() + " (" + config + ")");
    Thread hook = new Thread(stop::countDown, "keyward-injector-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      running.close();
    }
    return 0;
  }

  private static final class Flags {
    InetSocketAddress listen = new InetSocketAddress("0.0.0.0", 8443);
    Path certFile;
    Path keyFile;
    Optional<Path> config = Optional.empty();
    Optional<String> sidecarImage = Optional.empty();
    boolean legacySidecar;

    static Flags parse(String[] args) {
      Flags f = new Flags();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        String name = arg;
        String value = null;
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          name = arg.substring(0, eq);
          value = arg.substring(eq + 1);
        }
        if (name.equals("--legacy-sidecar")) {
          if (value != null && !value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("--legacy-sidecar must be true or false, got '" + value + "'");
          }
          f.legacySidecar = value == null || value.equals("true");
          continue;
        }
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
          }
          value = args[++i];
        }
        switch (name) {
          case "--listen" -> f.listen = hostPort(value);
          case "--tls-cert-file" -> f.certFile = Path.of(value);
          case "--tls-key-file" -> f.keyFile = Path.of(value);
          case "--config" -> f.config = Optional.of(Path.of(value));
          case "--sidecar-image" -> f.sidecarImage = Optional.of(value);
          default -> throw new IllegalArgumentException("unknown flag '" + name + "'");
        }
      }
      if (f.certFile == null || f.keyFile == null) {
        throw new IllegalArgumentException("--tls-cert-file and --tls-key-file are required");
      }
      return f;
    }

    private static InetSocketAddress hostPort(String value) {
      int colon = value.lastIndexOf(':');
      try {
        int port = Integer.parseInt(value.substring(colon + 1));
        String host = value.substring(0, colon).replace("[", "").replace("]", "");
        if (colon <= 0 || port < 0 || port > 65535) {
          throw new NumberFormatException();
        }
        return new InetSocketAddress(host, port);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--listen must be host:port, got '" + value + "'");
      }
    }
  }
}
