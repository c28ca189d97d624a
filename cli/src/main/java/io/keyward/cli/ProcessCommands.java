package io.keyward.cli;

import io.keyward.keyserver.KeyserverMain;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code keyward server|sidecar|kms-plugin}: run the long-lived processes in the foreground. */
final class ProcessCommands {
  /** Verb to the class whose {@code static int run(String[])} runs the process. */
  static final java.util.Map<String, String> MAINS = java.util.Map.of(
      "server", "io.keyward.keyserver.KeyserverMain",
      "sidecar", "io.keyward.sidecar.SidecarMain",
      "kms-plugin", "io.keyward.sidecar.kms.KmsPluginMain");

  private ProcessCommands() {}

  @Command(name = "server", description = {
      "Run a keyserver until SIGTERM/Ctrl-C (then it drains).",
      "Options: --config FILE and the flags of docs/configuration.md. Exit 0 after a clean stop, "
          + "2 for bad configuration, 3 when start-up fails."},
      footerHeading = "%nExample:%n", footer = "  keyward server --config /etc/keyward/keyward.yaml")
  static final class Server extends Verb {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    int run() {
      return KeyserverMain.run(args.toArray(String[]::new));
    }
  }

  @Command(name = "sidecar", description = "Run the per-pod encryption sidecar until SIGTERM/Ctrl-C.",
      footerHeading = "%nExample:%n", footer = "  keyward sidecar --config /etc/keyward/sidecar.yaml")
  static final class Sidecar extends Verb {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    int run() {
      return runMain("io.keyward.sidecar.SidecarMain", args);
    }
  }

  @Command(name = "kms-plugin", description = "Run the Kubernetes KMS v2 plugin until SIGTERM/Ctrl-C.")
  static final class KmsPlugin extends Verb {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    int run() {
      return runMain("io.keyward.sidecar.kms.KmsPluginMain", args);
    }
  }

  // The sidecar module is built in parallel; calling it by name keeps this module compiling
  // whether or not it is present. KeyserverMain goes the same way for uniformity.
  // TODO(integrator): once the sidecar is merged, these may become direct calls.
  static int runMain(String className, List<String> args) {
    try {
      Class<?> main = Class.forName(className);
      return (Integer) main.getMethod("run", String[].class).invoke(null, (Object) args.toArray(String[]::new));
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      throw new CliException(ExitCodes.FAILED, className + " is not part of this build");
    } catch (IllegalAccessException e) {
      throw new CliException(ExitCodes.FAILED, className + ".run is not accessible");
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new CliException(ExitCodes.FAILED, "process failed");
    }
  }
}
