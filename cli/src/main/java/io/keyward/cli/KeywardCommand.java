package io.keyward.cli;

/** Placeholder entry point until the picocli command tree lands. */
public final class KeywardCommand {
  private KeywardCommand() {}

  public static void main(String[] args) {
    System.err.println("keyward: the command line is not built yet");
    System.exit(64);
  }
}
