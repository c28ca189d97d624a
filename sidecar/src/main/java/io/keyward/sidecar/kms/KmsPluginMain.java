package io.keyward.sidecar.kms;

import io.keyward.sdk.TokenSources;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code keyward kms-plugin --socket PATH --key NAME [--server HOST:PORT] [--ca-cert FILE]
 * [--token-file FILE]}: serves the Kubernetes KMS v2 API on a Unix socket until SIGTERM, then
 * drains and removes the socket. {@code --server}, {@code --ca-cert} and {@code --token-file} may
 * come from {@code KEYWARD_SERVER}, {@code KEYWARD_CA_CERT} and {@code KEYWARD_TOKEN_FILE}.
 */
public final class KmsPluginMain {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  static final String USAGE_TEXT = """
      Usage: keyward kms-plugin --socket PATH --key NAME [options]
      Serves the Kubernetes KMS v2 API for kube-apiserver on a Unix domain socket.
        --socket PATH       socket file, e.g. /var/run/keyward/kms.sock (created 0600)
        --key NAME          Keyward key that wraps kube-apiserver's DEK seeds
        --server HOST:PORT  keyserver address (env KEYWARD_SERVER)
        --ca-cert FILE      PEM CA of the keyserver's certificate (env KEYWARD_CA_CERT;
                            default: the JDK trust store)
        --token-file FILE   bearer token (JWT) file, re-read when it changes
                            (env KEYWARD_TOKEN_FILE)
        --help              this text
      """;

  private static final List<String> FLAGS = List.of("--socket", "--key", "--server", "--ca-cert", "--token-file");

  private KmsPluginMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the plugin until the JVM is asked to stop (SIGTERM), then closes it: in-flight calls
   * finish and the socket is removed. Returns 0 after a clean stop, 1 when it cannot start, 2 on
   * a usage error.
   */
  public static int run(String[] args) {
    KmsPluginSettings settings;
    try {
      settings = parse(List.of(args), System.getenv(), System.out);
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("keyward kms-plugin: " + e.getMessage());
      System.err.print(USAGE_TEXT);
      return USAGE;
    }
    if (settings == null) {
      return OK; // --help
    }
    KmsPlugin plugin;
    try {
      plugin = KmsPlugin.start(settings);
    } catch (Exception e) {
      System.err.println("keyward kms-plugin: cannot start: " + e.getMessage());
      return FAILED;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      plugin.close();
      stopped.countDown();
    }, "kms-plugin-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      plugin.awaitTermination();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      plugin.close();
    }
    return OK;
  }

  /** Flags over environment; {@code null} after printing help. */
  static KmsPluginSettings parse(List<String> args, Map<String, String> env, PrintStream out) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) {
        out.print(USAGE_TEXT);
        return null;
      }
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        value = null;
      }
      if (!FLAGS.contains(name)) {
        throw new IllegalArgumentException("unknown option " + name);
      }
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException(name + " needs a value");
      }
      if (values.put(name, value) != null) {
        throw new IllegalArgumentException(name + " given twice");
      }
    }
    String server = values.getOrDefault("--server", env.get("KEYWARD_SERVER"));
    String ca = values.getOrDefault("--ca-cert", env.get("KEYWARD_CA_CERT"));
    String tokenFile = values.getOrDefault("--token-file", env.get("KEYWARD_TOKEN_FILE"));
    if (!values.containsKey("--socket")) {
      throw new IllegalArgumentException("--socket is required");
    }
    if (!values.containsKey("--key")) {
      throw new IllegalArgumentException("--key is required");
    }
    if (server == null || server.isEmpty()) {
      throw new IllegalArgumentException("--server (or KEYWARD_SERVER) is required");
    }
    if (tokenFile == null || tokenFile.isEmpty()) {
      throw new IllegalArgumentException("--token-file (or KEYWARD_TOKEN_FILE) is required");
    }
    KmsPluginSettings.Builder b = KmsPluginSettings.builder()
        .socket(Path.of(values.get("--socket")).toAbsolutePath())
        .keyName(values.get("--key"))
        .keyserverAddress(server)
        .tokenSource(TokenSources.file(Path.of(tokenFile)));
    if (ca != null && !ca.isEmpty()) {
      b.caCertificate(Path.of(ca));
    }
    return b.build();
  }
}
