package io.keyward.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A leaf command: reaches the global options and the streams through the root command. */
abstract class Verb implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  final KeywardCommand root() {
    return (KeywardCommand) spec.root().userObject();
  }

  final GlobalOptions global() {
    return root().global;
  }

  final PrintStream out() {
    return root().context.out();
  }

  final PrintStream err() {
    return root().context.err();
  }

  final Map<String, String> env() {
    return root().context.env();
  }

  final Output output() {
    return new Output(out(), global().json());
  }

  @Override
  public final Integer call() throws Exception {
    return run();
  }

  abstract int run() throws Exception;
}
