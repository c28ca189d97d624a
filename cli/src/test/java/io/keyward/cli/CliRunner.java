package io.keyward.cli;

import io.keyward.keyserver.NetworkKeyserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs verbs in-process through {@link KeywardCommand#execute} and captures what they print. */
final class CliRunner {
  record Result(int code, String out, String err, byte[] outBytes) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final Map<String, String> env;

  CliRunner(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** Environment pointing at {@code ks} with {@code token} written to a file in {@code dir}. */
  static CliRunner against(NetworkKeyserver ks, Path dir, String tokenName, String token) throws Exception {
    Path tokenFile = Files.writeString(dir.resolve(tokenName + ".token"), token);
    return new CliRunner(Map.of(
        "KEYWARD_SERVER", ks.address(),
        "KEYWARD_CA_CERT", ks.caCertificate().toString(),
        "KEYWARD_TOKEN_FILE", tokenFile.toString()));
  }

  CliRunner with(String name, String value) {
    Map<String, String> copy = new HashMap<>(env);
    copy.put(name, value);
    return new CliRunner(copy);
  }

  Result run(String... args) {
    return runWithInput(new byte[0], args);
  }

  Result runWithInput(String stdin, String... args) {
    return runWithInput(stdin.getBytes(StandardCharsets.UTF_8), args);
  }

  Result runWithInput(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
         PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = KeywardCommand.execute(args, new ByteArrayInputStream(stdin), o, e, env);
    }
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }
}
