package io.keyward.cli;

import io.keyward.cli.dev.DevStack;
import io.keyward.keyserver.KeyserverLauncher;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyward dev}: the whole stack in one process until Ctrl-C. */
@Command(name = "dev", description = {
    "Start a local development stack in one process (Ctrl-C stops it).",
    "A TLS keyserver (SQLite, generated root key), a development token issuer, a permissive policy, "
        + "a key named `default` and a sidecar. Everything is kept in the data folder and reused by "
        + "the next start. Writes DATA/env: after `source DATA/env` the other verbs talk to this stack.",
    "For development only: keys lie unencrypted in the data folder and every dev token may do anything."},
    footerHeading = "%nExamples:%n",
    footer = {"  keyward dev", "  keyward dev --data ~/.keyward-dev --port 0 --sidecar-port 0"})
final class DevCommand extends Verb {
  @Option(names = "--data", paramLabel = "DIR", description = "Data folder (default ./.keyward-dev).")
  Path data = Path.of(".keyward-dev");

  @Option(names = "--port", paramLabel = "PORT", description = "Keyserver port; 0 picks a free one (default 7443).")
  int port = 7443;

  @Option(names = "--sidecar-port", paramLabel = "PORT",
      description = "Sidecar HTTP port; 0 picks a free one (default 7080).")
  int sidecarPort = 7080;

  @Override
  int run() throws Exception {
    DevStack stack;
    try {
      stack = DevStack.start(DevStack.Options.of(data, port, sidecarPort));
    } catch (KeyserverLauncher.StartupException e) {
      throw new CliException(ExitCodes.FAILED, "cannot start the development keyserver: " + e.getMessage()
          + (port != 0 ? " (is port " + port + " taken? --port 0 picks a free one)" : ""));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stack.close();
      stopped.countDown();
    }, "keyward-dev-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    // bin/keyward says where it lives, so the banner can put it on the PATH of another shell.
    printBanner(stack, out(), Optional.ofNullable(System.getenv("KEYWARD_BIN_DIR")).map(Path::of));
    stopped.await();
    return ExitCodes.OK;
  }

  static void printBanner(DevStack stack, PrintStream out, Optional<Path> launcherDir) {
    Path cwd = Path.of("").toAbsolutePath();
    Path env = stack.envFile().startsWith(cwd) ? cwd.relativize(stack.envFile()) : stack.envFile();
    out.println("Keyward development stack is running" + (stack.reused() ? " (reusing its data)" : "")
        + ". Ctrl-C stops it.");
    out.println();
    out.println("  data folder     " + stack.dataDir() + "  (kept across runs; delete it to start over)");
    out.println("  keyserver       " + stack.keyserverAddress() + "  (TLS; CA " + stack.caCert() + ")");
    out.println("  sidecar         " + stack.sidecarUrl().orElse(stack.sidecarProblem().orElse("not started")));
    out.println("  admin token     " + stack.adminTokenFile() + "  (valid 24h; re-minted at each start)");
    out.println("  workload token  " + stack.workloadTokenFile());
    out.println("  issuer key      " + stack.issuerKeyFile() + "  (issuer " + DevStack.ISSUER + ")");
    out.println("  key             " + DevStack.DEFAULT_KEY + "  (primary version " + stack.defaultKey().getPrimaryVersion() + ")");
    out.println("  environment     " + stack.envFile());
    out.println();
    out.println("In another shell:");
    out.println();
    out.println("  source " + env);
    out.println(launcherDir.map(dir -> "  export PATH=" + DevStack.shellQuote(dir.toString()) + ":\"$PATH\"")
        .orElse("  # and put the repository's bin/ folder on your PATH, for `keyward`"));
    if (stack.sidecarUrl().isPresent()) {
      out.println("  CT=$(curl -sf \"$KEYWARD_SIDECAR_URL/v1/encrypt\" -H 'Content-Type: application/json' \\");
      out.println("      -d '{\"key\":\"default\",\"plaintext\":\"aGVsbG8gd29ybGQ=\",\"context\":{\"app\":\"demo\"}}' \\");
      out.println("      | sed -E 's/.*\"ciphertext\":\"([^\"]+)\".*/\\1/'); echo \"$CT\"");
      out.println("  curl -sf \"$KEYWARD_SIDECAR_URL/v1/decrypt\" -H 'Content-Type: application/json' \\");
      out.println("      -d \"{\\\"ciphertext\\\":\\\"$CT\\\",\\\"context\\\":{\\\"app\\\":\\\"demo\\\"}}\"");
    }
    out.println("  echo -n 'hello world' | keyward encrypt --context app=demo > hello.kw1");
    out.println("  keyward decrypt --context app=demo < hello.kw1");
    out.println("  keyward keys rotate default");
    out.println("  keyward keys describe default");
    out.flush();
  }
}
