package io.keyward.cli;

/**
 * A failure the CLI reports as one line on stderr with its exit code. Messages are written for
 * operators and never hold key bytes, tokens or plaintext.
 */
final class CliException extends RuntimeException {
  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }

  static CliException usage(String message) {
    return new CliException(ExitCodes.USAGE, message);
  }
}
