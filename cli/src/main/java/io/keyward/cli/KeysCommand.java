package io.keyward.cli;

import io.keyward.api.v1.CreateKeyRequest;
import io.keyward.api.v1.GetKeyRequest;
import io.keyward.api.v1.Key;
import io.keyward.api.v1.KeyVersion;
import io.keyward.api.v1.KeyVersionRequest;
import io.keyward.api.v1.KeyVersionState;
import io.keyward.api.v1.ListKeysRequest;
import io.keyward.api.v1.RotateKeyRequest;
import io.keyward.api.v1.ScheduleKeyVersionDestructionRequest;
import io.keyward.api.v1.SetMinDecryptionVersionRequest;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyward keys ...}: the key lifecycle through AdminService. */
@Command(name = "keys", description = "Create, list, describe, rotate and retire keys and key versions.",
    subcommands = {
        KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Describe.class,
        KeysCommand.Rotate.class, KeysCommand.Enable.class, KeysCommand.Disable.class,
        KeysCommand.SetMinDecryptionVersion.class, KeysCommand.ScheduleDestroy.class,
        KeysCommand.CancelDestroy.class})
final class KeysCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a keys verb is missing");
  }

  /** A keys verb that prints the key it got back. */
  abstract static class KeyVerb extends Verb {
    final int printKey(Key key, boolean detailed) {
      Output out = output();
      if (out.json()) {
        out.printJson(KeyViews.json(key));
      } else if (detailed) {
        KeyViews.describe(out, key);
      } else {
        out.printTable(KeyViews.listHeaders(), List.of(KeyViews.listRow(key)));
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "create", description = "Create a key; version 1 becomes its primary.",
      footerHeading = "%nExamples:%n",
      footer = {"  keyward keys create orders",
          "  keyward keys create orders --rotation-period 90d --rotate-after-data-keys 1000000"})
  static final class Create extends KeyVerb {
    @Parameters(paramLabel = "NAME", description = "Key name.")
    String name;

    @Option(names = "--rotation-period", paramLabel = "DURATION", converter = Durations.Converter.class,
        description = "Rotate automatically when the primary is this old, e.g. 90d.")
    Duration rotationPeriod;

    @Option(names = "--rotate-after-data-keys", paramLabel = "N",
        description = "Rotate automatically after the primary issued N data keys.")
    long rotateAfterDataKeys;

    @Override
    int run() {
      if (rotateAfterDataKeys < 0) {
        throw CliException.usage("--rotate-after-data-keys must be positive, got " + rotateAfterDataKeys);
      }
      CreateKeyRequest.Builder req = CreateKeyRequest.newBuilder().setName(name)
          .setRotateAfterDataKeys(rotateAfterDataKeys);
      if (rotationPeriod != null) {
        if (rotationPeriod.isNegative() || rotationPeriod.isZero()) {
          throw CliException.usage("--rotation-period must be positive, got " + rotationPeriod);
        }
        req.setRotationPeriod(com.google.protobuf.Duration.newBuilder()
            .setSeconds(rotationPeriod.getSeconds()).setNanos(rotationPeriod.getNano()));
      }
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        return printKey(ks.admin().createKey(req.build()), true);
      }
    }
  }

  @Command(name = "list", description = "List every key with its primary and minimum decryption version.")
  static final class ListKeys extends Verb {
    @Override
    int run() {
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        List<Key> keys = ks.admin().listKeys(ListKeysRequest.getDefaultInstance()).getKeysList();
        Output out = output();
        if (out.json()) {
          out.printJson(keys.stream().map(KeyViews::json).toList());
        } else {
          out.printTable(KeyViews.listHeaders(), keys.stream().map(KeyViews::listRow).toList());
        }
        return ExitCodes.OK;
      }
    }
  }

  @Command(name = "describe",
      description = "Show a key's versions with state, creation time and data keys issued.")
  static final class Describe extends KeyVerb {
    @Parameters(paramLabel = "NAME", description = "Key name.")
    String name;

    @Override
    int run() {
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        return printKey(ks.admin().getKey(GetKeyRequest.newBuilder().setName(name).build()), true);
      }
    }
  }

  @Command(name = "rotate", description = {
      "Add a new version and make it primary.",
      "New data keys use it at once; older versions still decrypt until you raise the minimum "
          + "decryption version (rewrap first)."},
      footerHeading = "%nExample:%n", footer = "  keyward keys rotate default")
  static final class Rotate extends KeyVerb {
    @Parameters(paramLabel = "NAME", description = "Key name.")
    String name;

    @Override
    int run() {
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        return printKey(ks.admin().rotateKey(RotateKeyRequest.newBuilder().setName(name).build()), true);
      }
    }
  }

  /** enable / disable / cancel-destroy: one version of one key. */
  abstract static class VersionVerb extends KeyVerb {
    @Parameters(paramLabel = "NAME", description = "Key name.")
    String name;

    @Option(names = "--version", required = true, paramLabel = "N", description = "Key version.")
    int version;

    final int call(BiFunction<KeyserverConnection, KeyVersionRequest, Key> rpc) {
      if (version < 1) {
        throw CliException.usage("--version must be at least 1, got " + version);
      }
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        return printKey(rpc.apply(ks, KeyVersionRequest.newBuilder().setName(name).setVersion(version).build()), true);
      }
    }
  }

  @Command(name = "enable", description = "Enable a disabled version again.",
      footerHeading = "%nExample:%n", footer = "  keyward keys enable orders --version 1")
  static final class Enable extends VersionVerb {
    @Override
    int run() {
      return call((ks, req) -> ks.admin().enableKeyVersion(req));
    }
  }

  @Command(name = "disable", description = "Disable a version: it neither encrypts nor decrypts until enabled.",
      footerHeading = "%nExample:%n", footer = "  keyward keys disable orders --version 1")
  static final class Disable extends VersionVerb {
    @Override
    int run() {
      return call((ks, req) -> ks.admin().disableKeyVersion(req));
    }
  }

  @Command(name = "cancel-destroy", description = "Cancel a scheduled destruction; the version becomes DISABLED.")
  static final class CancelDestroy extends VersionVerb {
    @Override
    int run() {
      return call((ks, req) -> ks.admin().cancelKeyVersionDestruction(req));
    }
  }

  @Command(name = "set-min-decryption-version", description = {
      "Versions below N no longer decrypt.",
      "Rewrap stored data first: a ciphertext under an older version fails with \"version below "
          + "minimum\" afterwards. N cannot exceed the primary version."},
      footerHeading = "%nExample:%n", footer = "  keyward keys set-min-decryption-version orders 2")
  static final class SetMinDecryptionVersion extends KeyVerb {
    @Parameters(index = "0", paramLabel = "NAME", description = "Key name.")
    String name;

    @Parameters(index = "1", paramLabel = "N", description = "New minimum decryption version.")
    int minimum;

    @Override
    int run() {
      if (minimum < 1) {
        throw CliException.usage("minimum decryption version must be at least 1, got " + minimum);
      }
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        return printKey(ks.admin().setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
            .setName(name).setMinDecryptionVersion(minimum).build()), true);
      }
    }
  }

  @Command(name = "schedule-destroy", description = {
      "Schedule destruction of a non-primary version after a waiting period.",
      "When it passes, the version's secret is erased for good and nothing encrypted under it can "
          + "be decrypted. Until then `keys cancel-destroy` undoes it."},
      footerHeading = "%nExample:%n", footer = "  keyward keys schedule-destroy orders --version 1 --waiting-period 30d")
  static final class ScheduleDestroy extends KeyVerb {
    @Parameters(paramLabel = "NAME", description = "Key name.")
    String name;

    @Option(names = "--version", required = true, paramLabel = "N")
    int version;

    @Option(names = "--waiting-period", paramLabel = "DURATION", converter = Durations.Converter.class,
        description = "Time before destruction (default: the server's, usually 30d).")
    Duration waitingPeriod;

    @Override
    int run() {
      try (KeyserverConnection ks = KeyserverConnection.open(global())) {
        Key current = ks.admin().getKey(GetKeyRequest.newBuilder().setName(name).build());
        if (current.getPrimaryVersion() == version) {
          throw new CliException(ExitCodes.FAILED_PRECONDITION, "version " + version + " is the primary of key '"
              + name + "' and cannot be destroyed; rotate first");
        }
        ScheduleKeyVersionDestructionRequest.Builder req =
            ScheduleKeyVersionDestructionRequest.newBuilder().setName(name).setVersion(version);
        if (waitingPeriod != null) {
          req.setWaitingPeriod(com.google.protobuf.Duration.newBuilder()
              .setSeconds(waitingPeriod.getSeconds()).setNanos(waitingPeriod.getNano()));
        }
        Key key = ks.admin().scheduleKeyVersionDestruction(req.build());
        if (!output().json()) {
          key.getVersionsList().stream()
              .filter(v -> v.getVersion() == version && v.getState() == KeyVersionState.DESTROY_SCHEDULED)
              .map(KeyVersion::getDestroyTime)
              .findFirst()
              .ifPresent(t -> out().println("Version " + version + " of key '" + name + "' will be destroyed at "
                  + KeyViews.time(t) + " (cancel before then with: keyward keys cancel-destroy " + name
                  + " --version " + version + ")"));
        }
        return printKey(key, true);
      }
    }
  }
}
