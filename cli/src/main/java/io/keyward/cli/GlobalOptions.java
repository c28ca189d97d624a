package io.keyward.cli;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every verb accepts; each also has an environment variable (see {@link EnvDefaults}). */
final class GlobalOptions {
  enum OutputFormat { table, json }

  @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
      description = "Keyserver address (env KEYWARD_SERVER).")
  String server;

  @Option(names = "--ca-cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "PEM CA certificate that signed the keyserver's certificate (env KEYWARD_CA_CERT); "
          + "default: the JDK trust store.")
  Path caCert;

  @Option(names = "--token-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "File holding the bearer token (JWT), re-read on every call (env KEYWARD_TOKEN_FILE).")
  Path tokenFile;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "table|json",
      description = "Output format: ${COMPLETION-CANDIDATES} (env KEYWARD_OUTPUT; default table).")
  OutputFormat output;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
      converter = Durations.Converter.class,
      description = "Deadline of each keyserver call, e.g. 10s (env KEYWARD_TIMEOUT; default 10s).")
  Duration timeout;

  String server() {
    return server;
  }

  Path caCert() {
    return caCert;
  }

  Path tokenFile() {
    return tokenFile;
  }

  boolean json() {
    return output == OutputFormat.json;
  }

  Duration timeout() {
    return timeout == null ? Duration.ofSeconds(10) : timeout;
  }
}
