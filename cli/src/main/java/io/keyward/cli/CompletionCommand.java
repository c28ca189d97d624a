package io.keyward.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;

/** {@code keyward completion}: prints a bash (and zsh-compatible) completion script. */
@Command(name = "completion", description = {"Print a bash completion script for keyward.",
    "Load it with: source <(keyward completion)"})
final class CompletionCommand extends Verb {
  @Override
  int run() {
    out().print(AutoComplete.bash("keyward", spec.root().commandLine()));
    out().flush();
    return ExitCodes.OK;
  }
}
