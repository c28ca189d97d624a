package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.KeyserverException;
import io.keyward.keyserver.store.JdbcKeyStore;
import io.keyward.keyserver.store.Stores;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Command-line entry point behind {@code keyward root-key rotate}: re-wraps every version secret of
 * a store from an old to a new root key (see {@link RootKeyRotation}). Each key is given as one of
 * {@code --old-key-file F}, {@code --old-passphrase-file F}, {@code --old-passphrase-env VAR}, or
 * {@code --old-pkcs11-config CFG --old-pkcs11-label LABEL --old-pkcs11-pin-env VAR} (and the same
 * with {@code --new-}). Returns 0 done, 1 failed (rerun to finish), 2 usage.
 */
public final class RootKeyRotationMain {
  static final String USAGE =
      "usage: root-key rotate --store URL OLD NEW\n"
          + "  OLD: --old-key-file F | --old-passphrase-file F | --old-passphrase-env VAR |\n"
          + "       --old-pkcs11-config CFG --old-pkcs11-label LABEL --old-pkcs11-pin-env VAR\n"
          + "  NEW: the same options with --new-\n"
          + "  Before: restart every keyserver with the NEW key as rootKey and the OLD one as\n"
          + "  rootKey.previousFile. After: remove rootKey.previousFile. Safe to rerun.";

  private RootKeyRotationMain() {}

  public static int run(String[] args) {
    return run(args, System.getenv(), System.out, System.err);
  }

  /** As {@link #run(String[])} with an explicit environment (PIN and passphrase variables). */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
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
      try (RootKey oldKey = open("old", options, env, keyStore);
          RootKey newKey = open("new", options, env, keyStore)) {
        if (!options.isEmpty()) {
          return usage(err, "unknown options " + options.keySet());
        }
        RootKeyRotation.Result result = RootKeyRotation.rotate(keyStore, oldKey, newKey);
        out.println(
            "root key rotated " + oldKey.id() + " -> " + newKey.id() + ": " + result.rewrapped()
                + " secrets re-wrapped, " + result.alreadyUnderNewKey() + " were already; the old"
                + " root key is no longer needed by this store");
        return 0;
      }
    } catch (UsageException e) {
      return usage(err, e.getMessage());
    } catch (RootKeyException | KeyserverException e) {
      err.println("root key rotation failed (rerun to finish): " + e.getMessage());
      return 1;
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
      String value = env.get(passEnv);
      if (value == null || value.isEmpty()) {
        throw new RootKeyException("environment variable " + passEnv + " is not set or empty");
      }
      return PassphraseRootKey.derive(value.toCharArray(), store);
    }
    if (p11Label == null || p11PinEnv == null) {
      throw new UsageException(
          "--" + which + "-pkcs11-config needs --" + which + "-pkcs11-label and --" + which
              + "-pkcs11-pin-env");
    }
    String pin = env.get(p11PinEnv);
    if (pin == null || pin.isEmpty()) {
      throw new RootKeyException("environment variable " + p11PinEnv + " is not set or empty");
    }
    return Pkcs11RootKey.open(Path.of(p11Config), p11Label, pin.toCharArray());
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
