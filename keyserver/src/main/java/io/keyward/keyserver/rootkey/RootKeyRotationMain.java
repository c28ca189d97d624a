package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.NextWraps;
import io.keyward.keyserver.store.Stores;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Command-line entry point behind {@code keyward root-key}: {@code rotate} re-wraps every version
 * secret of a store from an old to a new root key (see {@link RootKeyRotation}), {@code status}
 * shows where a store stands, {@code abort} drops an unfinished rotation. Each key is given as one
 * of {@code --old-key-file F}, {@code --old-passphrase-file F}, {@code --old-passphrase-env VAR},
 * or {@code --old-pkcs11-config CFG --old-pkcs11-label LABEL --old-pkcs11-pin-env VAR} (and the
 * same with {@code --new-}). Returns 0 done, 1 failed (rerun to finish), 2 usage.
 */
public final class RootKeyRotationMain {
  static final String USAGE =
      "usage: root-key rotate --store URL OLD NEW [--batch-size N]\n"
          + "       root-key status --store URL\n"
          + "       root-key abort --store URL OLD\n"
          + "  OLD: --old-key-file F | --old-passphrase-file F | --old-passphrase-env VAR |\n"
          + "       --old-pkcs11-config CFG --old-pkcs11-label LABEL --old-pkcs11-pin-env VAR\n"
          + "  NEW: the same options with --new-\n"
          + "  rotate runs online: keyservers keep serving with the old key until the final swap;\n"
          + "  then restart them with the new key (servers holding both keys need no restart).\n"
          + "  Interrupted? Run the same command again: it finishes the job.";

  private RootKeyRotationMain() {}

  public static int run(String[] args) {
    return run(args, System.getenv(), System.out, System.err);
  }

  /** Runs {@link #run(String[])} in a process of its own and exits with its code. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** As {@link #run(String[])} with an explicit environment (PIN and passphrase variables). */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    if (args.length == 0 || Arrays.asList("-h", "--help").contains(args[0])) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String command = args[0];
    if (!command.equals("rotate") && !command.equals("status") && !command.equals("abort")) {
      return usage(err, "unknown command " + command);
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        out.println(USAGE);
        return 0;
      }
      if (!a.startsWith("--") || i + 1 >= args.length) {
        return usage(err, "unexpected argument " + a);
      }
      options.put(a.substring(2), args[++i]);
    }
    String store = options.remove("store");
    if (store == null) {
      return usage(err, "--store is required");
    }
    try (JdbcKeyStore keyStore = Stores.open(store)) {
      return switch (command) {
        case "status" -> status(keyStore, options, out, err);
        case "abort" -> abort(keyStore, options, env, out, err);
        default -> rotate(keyStore, options, env, out, err);
      };
    } catch (UsageException e) {
      return usage(err, e.getMessage());
    } catch (RootKeyException | KeyserverException e) {
      err.println("root-key " + command + " failed: " + e.getMessage()
          + (command.equals("rotate") ? " (the store is intact; rerun to finish)" : ""));
      return 1;
    }
  }

  private static int rotate(JdbcKeyStore store, Map<String, String> options,
      Map<String, String> env, PrintStream out, PrintStream err) throws RootKeyException {
    int batchSize = batchSize(options.remove("batch-size"));
    try (RootKey oldKey = open("old", options, env, store);
        RootKey newKey = open("new", options, env, store)) {
      requireNoneLeft(options);
      RootKeyRotation.Result result = RootKeyRotation.rotate(store, oldKey, newKey, batchSize,
          (phase, count) -> report(out, phase, count));
      out.println(result.alreadyDone()
          ? "the store was already under root key " + newKey.id() + "; nothing to do"
          : "root key rotated " + oldKey.id() + " -> " + newKey.id() + ": " + result.versions()
              + " versions now under the new key (" + result.rewrapped() + " re-wrapped by this"
              + " run); root key " + oldKey.id() + " is retired: restart keyservers that hold"
              + " only it with the new key");
      return 0;
    }
  }

  private static int abort(JdbcKeyStore store, Map<String, String> options,
      Map<String, String> env, PrintStream out, PrintStream err) throws RootKeyException {
    try (RootKey oldKey = open("old", options, env, store)) {
      requireNoneLeft(options);
      out.println(RootKeyRotation.abort(store, oldKey)
          ? "root-key rotation aborted; the store stays under root key " + oldKey.id()
          : "no root-key rotation was in progress; the store is under root key " + oldKey.id());
      return 0;
    }
  }

  private static int status(JdbcKeyStore store, Map<String, String> options, PrintStream out,
      PrintStream err) {
    requireNoneLeft(options);
    NextWraps.Status s = store.nextWraps().status();
    out.println("root key: " + s.rootKeyId().orElse("(not recorded yet)"));
    out.println(s.nextRootKeyId()
        .map(next -> "rotation to root key " + next + " in progress: " + s.staged() + " of "
            + s.liveVersions() + " versions re-wrapped; rerun `root-key rotate` to finish")
        .orElse("no rotation in progress; " + s.liveVersions() + " live versions"));
    if (!s.retiredRootKeyIds().isEmpty()) {
      out.println("retired root keys: " + String.join(", ", s.retiredRootKeyIds()));
    }
    return 0;
  }

  private static void report(PrintStream out, RootKeyRotation.Phase phase, int count) {
    switch (phase) {
      case BEGUN -> out.println("rotation recorded; re-wrapping (the old root key stays"
          + " authoritative until the swap)");
      case BATCH_STORED -> out.println("re-wrapped " + count);
      case BACKFILLED -> out.println("every version re-wrapped; swapping");
      default -> { }
    }
    out.flush();
  }

  private static int batchSize(String value) {
    if (value == null) {
      return RootKeyRotation.DEFAULT_BATCH_SIZE;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= 10_000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("--batch-size must be 1 to 10000, got " + value);
  }

  private static void requireNoneLeft(Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new UsageException("unknown options " + options.keySet());
    }
  }

  private static RootKey open(
      String which, Map<String, String> options, Map<String, String> env, JdbcKeyStore store)
      throws RootKeyException {
    String file = options.remove(which + "-key-file");
    String passFile = options.remove(which + "-passphrase-file");
    String passEnv = options.remove(which + "-passphrase-env");
    String p11Config = options.remove(which + "-pkcs11-config");
    String p11Label = options.remove(which + "-pkcs11-label");
    String p11PinEnv = options.remove(which + "-pkcs11-pin-env");
    int given = (file != null ? 1 : 0) + (passFile != null ? 1 : 0) + (passEnv != null ? 1 : 0)
        + (p11Config != null ? 1 : 0);
    if (given != 1) {
      throw new UsageException("give exactly one " + which + " root key");
    }
    if (file != null) {
      return FileRootKey.load(Path.of(file));
    }
    if (passFile != null) {
      return PassphraseRootKey.fromFile(Path.of(passFile), store);
    }
    if (passEnv != null) {
      char[] value = variable(env, passEnv).toCharArray();
      try {
        return PassphraseRootKey.derive(value, store);
      } finally {
        Arrays.fill(value, '\0');
      }
    }
    if (p11Label == null || p11PinEnv == null) {
      throw new UsageException(
          "--" + which + "-pkcs11-config needs --" + which + "-pkcs11-label and --" + which
              + "-pkcs11-pin-env");
    }
    char[] pin = variable(env, p11PinEnv).toCharArray();
    try {
      return Pkcs11RootKey.open(Path.of(p11Config), p11Label, pin);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private static String variable(Map<String, String> env, String name) throws RootKeyException {
    String value = env.get(name);
    if (value == null || value.isEmpty()) {
      throw new RootKeyException("environment variable " + name + " is not set or empty");
    }
    return value;
  }

  private static int usage(PrintStream err, String problem) {
    err.println(problem);
    err.println(USAGE);
    return 2;
  }

  private static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
