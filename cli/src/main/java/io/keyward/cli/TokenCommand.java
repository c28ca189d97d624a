package io.keyward.cli;

import io.keyward.cli.dev.DevStack;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyward token mint}: tokens from the development issuer of {@code keyward dev}. */
@Command(name = "token", description = "Mint tokens with the development issuer (local use only).",
    subcommands = TokenCommand.Mint.class)
final class TokenCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a token verb is missing");
  }

  @Command(name = "mint", description = {
      "Print a JWT signed by the development issuer that `keyward dev` created.",
      "Subjects of the form system:serviceaccount:NS:NAME also get the Kubernetes claims, as the "
          + "kubelet's tokens do."},
      footerHeading = "%nExamples:%n",
      footer = {"  keyward token mint --subject system:serviceaccount:default:app > app.token",
          "  keyward token mint --subject spiffe://dev.local/job --ttl 10m"})
  static final class Mint extends Verb {
    private static final Pattern SERVICE_ACCOUNT = Pattern.compile("system:serviceaccount:([^:]+):([^:]+)");
    private static final Duration MAX_TTL = Duration.ofDays(7);

    @Option(names = "--subject", required = true, paramLabel = "S", description = "Token subject (sub).")
    String subject;

    @Option(names = "--audience", paramLabel = "A", description = "Token audience (default keyward).")
    String audience = "keyward";

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.Converter.class,
        description = "Lifetime, at most 7d (default 1h).")
    Duration ttl = Duration.ofHours(1);

    @Option(names = "--issuer-key", paramLabel = "FILE",
        description = "The development issuer's private JWK (env KEYWARD_DEV_ISSUER_KEY, written by keyward dev).")
    Path issuerKey;

    @Option(names = "--issuer", paramLabel = "URL",
        description = "Issuer (iss) to put in the token (env KEYWARD_DEV_ISSUER; default " + DevStack.ISSUER + ").")
    String issuer = DevStack.ISSUER;

    @Override
    int run() {
      if (issuerKey == null) {
        throw CliException.usage("no issuer key: use --issuer-key FILE or set KEYWARD_DEV_ISSUER_KEY "
            + "(source the env file written by keyward dev)");
      }
      if (!Files.isRegularFile(issuerKey)) {
        throw new CliException(ExitCodes.NOT_FOUND, "no issuer key at " + issuerKey + "; run keyward dev first");
      }
      if (ttl.isZero() || ttl.isNegative() || ttl.compareTo(MAX_TTL) > 0) {
        throw CliException.usage("--ttl must be positive and at most 7d, got " + Durations.format(ttl));
      }
      TestTokenIssuer dev = TestTokenIssuer.loadOrCreate(issuerKey, issuer);
      TestTokenIssuer.TokenBuilder token = dev.token().subject(subject).audience(audience).expiresIn(ttl);
      Matcher sa = SERVICE_ACCOUNT.matcher(subject);
      if (sa.matches()) {
        token.kubernetes(sa.group(1), sa.group(2), null);
      }
      out().println(token.sign());
      return ExitCodes.OK;
    }
  }
}
