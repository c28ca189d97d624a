package io.keyward.cli;

import io.keyward.keyserver.KeyserverMain;
import io.keyward.keyserver.backup.BackupMain;
import io.keyward.keyserver.rootkey.RootKeyRotationMain;
import io.keyward.sidecar.SidecarMain;
import io.keyward.sidecar.kms.KmsPluginMain;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code keyward server|sidecar|kms-plugin}: run the long-lived processes in the foreground. */
final class ProcessCommands {
  /** Verb to the {@code static int run(String[])} that runs the process. */
  static final java.util.Map<String, java.util.function.ToIntFunction<String[]>> MAINS = java.util.Map.of(
      "server", KeyserverMain::run,
      "sidecar", SidecarMain::run,
      "kms-plugin", KmsPluginMain::run,
      "backup", BackupMain::run,
      "root-key", ProcessCommands::rootKey);

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
      return SidecarMain.run(args.toArray(String[]::new));
    }
  }

  @Command(name = "kms-plugin", description = "Run the Kubernetes KMS v2 plugin until SIGTERM/Ctrl-C.")
  static final class KmsPlugin extends Verb {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    int run() {
      return KmsPluginMain.run(args.toArray(String[]::new));
    }
  }

  @Command(name = "backup", description = {
      "Back up or restore every key, version, state and the policy (key material stays wrapped by",
      "the root key). Restoring over a non-empty store is refused unless --force is given."},
      footerHeading = "%nExamples:%n", footer = {
          "  keyward backup create keyward.backup --store sqlite:/var/lib/keyward/keyward.db",
          "  keyward backup restore keyward.backup --store postgresql://keyward@db:5432/keyward"})
  static final class Backup extends Verb {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    int run() {
      return BackupMain.run(args.toArray(String[]::new));
    }
  }

  @Command(name = "root-key", description = {
      "root-key rotate: re-wrap every version secret under a new root key, online and crash-safe",
      "(one key opens the whole store at every instant; rerun to finish after an interruption).",
      "root-key status: the store's root key and any rotation in progress. root-key abort: drop an",
      "unfinished rotation. See docs/operations-storage.md."},
      footerHeading = "%nExample:%n", footer =
          "  keyward root-key rotate --store sqlite:keyward.db --old-key-file old.key --new-key-file new.key")
  static final class RootKey extends Verb {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    int run() {
      return rootKey(args.toArray(String[]::new));
    }
  }

  private static int rootKey(String[] args) {
    if (args.length == 0 || !java.util.List.of("rotate", "status", "abort").contains(args[0])) {
      throw new CliException(ExitCodes.USAGE,
          "usage: keyward root-key rotate|status|abort --store URL [--old-... --new-...]");
    }
    return RootKeyRotationMain.run(args);
  }

  static int runMain(String verb, List<String> args) {
    return MAINS.get(verb).applyAsInt(args.toArray(String[]::new));
  }
}
