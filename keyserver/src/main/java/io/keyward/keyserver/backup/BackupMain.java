package io.keyward.keyserver.backup;

import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line entry point behind {@code keyward backup create FILE --store URL} and {@code keyward
 * backup restore FILE --store URL [--force]}. Returns the exit code: 0 done, 1 failed, 2 usage.
 */
public final class BackupMain {
  static final String USAGE =
      "usage: backup create FILE --store URL\n"
          + "       backup restore FILE --store URL [--force]\n"
          + "  URL: sqlite:/path/keyward.db or postgresql://user@host:5432/db (no password in it)\n"
          + "  restore refuses a store that holds keys or a policy unless --force; stop the\n"
          + "  keyservers before restoring.";

  private BackupMain() {}

  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  /** As {@link #run(String[])}, printing to the given streams (nothing secret is printed). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> positional = new ArrayList<>();
    String store = null;
    boolean force = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--store" -> {
          if (i + 1 >= args.length) {
            return usage(err, "--store needs a value");
          }
          store = args[++i];
        }
        case "--force" -> force = true;
        case "-h", "--help" -> {
          out.println(USAGE);
          return 0;
        }
        default -> {
          if (args[i].startsWith("--store=")) {
            store = args[i].substring("--store=".length());
          } else if (args[i].startsWith("-")) {
            return usage(err, "unknown option " + args[i]);
          } else {
            positional.add(args[i]);
          }
        }
      }
    }
    if (positional.size() != 2 || store == null) {
      return usage(err, "expected create|restore FILE and --store URL");
    }
    String command = positional.get(0);
    Path file = Path.of(positional.get(1));
    if (!command.equals("create") && !command.equals("restore")) {
      return usage(err, "unknown command " + command);
    }
    if (force && command.equals("create")) {
      return usage(err, "--force applies to restore only");
    }
    try (JdbcKeyStore keyStore = Stores.open(store)) {
      BackupSummary summary =
          command.equals("create")
              ? Backups.create(keyStore, file)
              : Backups.restore(keyStore, file, force);
      out.println(
          (command.equals("create") ? "backed up " : "restored ")
              + summary.keys() + " keys, " + summary.versions() + " versions ("
              + summary.destroyedVersions() + " destroyed), policy revision "
              + summary.policyRevision().map(String::valueOf).orElse("none")
              + "; secrets wrapped by root key(s) " + String.join(", ", summary.rootKeyIds())
              + (command.equals("create") ? " -> " : " <- ") + file);
      if (command.equals("create")) {
        keyStore.nextWraps().status().nextRootKeyId().ifPresent(next -> out.println(
            "a root-key rotation to root key " + next + " is in progress: this backup holds the"
                + " wraps under the current root key only"));
      }
      return 0;
    } catch (KeyserverException | IOException e) {
      err.println("backup " + command + " failed: " + e.getMessage());
      return 1;
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println(problem);
    err.println(USAGE);
    return 2;
  }
}
