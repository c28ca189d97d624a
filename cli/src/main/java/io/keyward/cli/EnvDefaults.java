package io.keyward.cli;

import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Reads option defaults from the environment given to {@link KeywardCommand#execute}, not from
 * {@link System#getenv()}, so tests choose the environment and a flag always wins over a variable.
 */
final class EnvDefaults implements IDefaultValueProvider {
  static final Map<String, String> VARIABLES = Map.of(
      "--server", "KEYWARD_SERVER",
      "--ca-cert", "KEYWARD_CA_CERT",
      "--token-file", "KEYWARD_TOKEN_FILE",
      "--output", "KEYWARD_OUTPUT",
      "--timeout", "KEYWARD_TIMEOUT",
      "--issuer-key", "KEYWARD_DEV_ISSUER_KEY",
      "--issuer", "KEYWARD_DEV_ISSUER");

  private final Map<String, String> env;

  EnvDefaults(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (argSpec instanceof OptionSpec option) {
      String variable = VARIABLES.get(option.longestName());
      if (variable != null) {
        String value = env.get(variable);
        if (value != null && !value.isEmpty()) {
          return value;
        }
      }
    }
    return argSpec.defaultValue();
  }
}
