package io.keyward.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ScopeType;

/**
 * {@code keyward}: the operator and developer command line. {@link #main} runs one verb and exits
 * with its code; {@link #execute} does the same in-process for tests and embedding.
 */
@Command(
    name = "keyward",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = KeywardCommand.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Keyward key service command line.",
        "Run a local development stack, manage keys and their versions, rewrap stored ciphertexts "
            + "after rotation, read the audit log and manage the access policy.",
        "Every global option can also be set in the environment (named in its description); after "
            + "`keyward dev`, `source .keyward-dev/env` makes every verb talk to the development stack."},
    subcommands = {
        DevCommand.class,
        KeysCommand.class,
        RewrapCommand.class,
        AuditCommand.class,
        PolicyCommand.class,
        TokenCommand.class,
        CryptCommands.Encrypt.class,
        CryptCommands.Decrypt.class,
        ProcessCommands.Server.class,
        ProcessCommands.Sidecar.class,
        ProcessCommands.KmsPlugin.class,
        ProcessCommands.Backup.class,
        ProcessCommands.RootKey.class,
        CompletionCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:ok",
        "1:failed (decryption failed, some rewrap items failed, I/O error, other)",
        "2:usage error or invalid input (bad option or value, invalid policy file)",
        "3:not authenticated or permission denied",
        "4:not found (key or key version)",
        "5:unavailable (keyserver or sidecar cannot be reached; retry later)",
        "6:failed precondition (version disabled, destroyed or below minimum; key exists)"},
    footerHeading = "%nExamples:%n",
    footer = {
        "  keyward dev                     # local stack in ./.keyward-dev",
        "  source .keyward-dev/env",
        "  keyward keys create orders --rotation-period 90d",
        "  keyward keys rotate orders",
        "  keyward rewrap --in-place --context app=orders stored-ciphertexts.txt",
        "  keyward keys set-min-decryption-version orders 2",
        "  keyward audit verify",
        "  source <(keyward completion)    # bash completion"})
public final class KeywardCommand implements java.util.concurrent.Callable<Integer> {
  /** Streams and environment of one invocation. */
  record CliContext(InputStream in, PrintStream out, PrintStream err, Map<String, String> env, boolean interactive) {}

  @Mixin
  GlobalOptions global = new GlobalOptions();

  final CliContext context;

  private KeywardCommand(CliContext context) {
    this.context = context;
  }

  /** Runs {@code keyward ARGS} and exits the JVM with the verb's exit code. */
  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, new CliContext(System.in, out, err, System.getenv(), System.console() != null)));
  }

  /**
   * Runs one verb in-process and returns its exit code ({@link ExitCodes}). Options fall back to
   * {@code env} (not the process environment); nothing is written to {@link System#out}.
   */
  public static int execute(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    return execute(args, new ByteArrayInputStream(new byte[0]), out, err, env);
  }

  /** {@link #execute(String[], PrintStream, PrintStream, Map)} with {@code in} as standard input. */
  public static int execute(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
    return run(args, new CliContext(in, out, err, Map.copyOf(env), false));
  }

  static int run(String[] args, CliContext context) {
    // server/sidecar/kms-plugin take their processes' own flags (some share names with the global
    // options, e.g. --token-file), so everything after the verb goes to them untouched.
    if (args.length > 0 && ProcessCommands.MAINS.containsKey(args[0])
        && !(args.length == 2 && (args[1].equals("--help") || args[1].equals("-h")))) {
      try {
        return ProcessCommands.runMain(args[0],
            java.util.Arrays.asList(args).subList(1, args.length));
      } catch (RuntimeException e) {
        context.err().println("keyward: " + Failures.message(e));
        return Failures.exitCode(e);
      }
    }
    CommandLine cl = commandLine(context);
    return cl.execute(args);
  }

  static CommandLine commandLine(CliContext context) {
    CommandLine cl = new CommandLine(new KeywardCommand(context));
    cl.setOut(new PrintWriter(context.out(), true));
    cl.setErr(new PrintWriter(context.err(), true));
    cl.setDefaultValueProvider(new EnvDefaults(context.env()));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler((ex, args) -> {
      context.err().println("keyward: " + ex.getMessage());
      context.err().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
      return ExitCodes.USAGE;
    });
    cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
      context.err().println("keyward: " + Failures.message(ex));
      return Failures.exitCode(ex);
    });
    return cl;
  }

  @Override
  public Integer call() {
    context.err().println("keyward: a verb is missing");
    commandLine(context).usage(context.err());
    return ExitCodes.USAGE;
  }

  /** The version from the jar manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = KeywardCommand.class.getPackage().getImplementationVersion();
      return new String[] {"keyward " + (v == null ? "development build" : v)};
    }
  }
}
