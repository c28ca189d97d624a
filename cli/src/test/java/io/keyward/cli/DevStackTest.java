package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.cli.dev.DevStack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyward dev}: starts, its env file drives the other verbs, a second start reuses its keys. */
class DevStackTest {
  @TempDir Path dir;

  @Test
  void startsPrintsExamplesWritesEnvAndReusesItsKeysOnTheNextStart() throws Exception {
    Path data = dir.resolve("dev");
    String ciphertext;
    byte[] caBefore;
    byte[] issuerBefore;
    try (DevStack stack = DevStack.start(DevStack.Options.of(data, 0, 0))) {
      assertFalse(stack.reused());
      String banner = banner(stack);
      assertTrue(banner.contains("keyserver       " + stack.keyserverAddress()), banner);
      assertTrue(banner.contains("source " + stack.envFile()), banner);
      assertTrue(banner.contains("keyward keys rotate default"), banner);
      assertPrintedPathFindsTheLauncher(stack);

      Map<String, String> env = DevStack.readEnvFile(stack.envFile());
      assertEquals(List.of("KEYWARD_SERVER", "KEYWARD_CA_CERT", "KEYWARD_TOKEN_FILE", "KEYWARD_SIDECAR_URL",
          "KEYWARD_WORKLOAD_TOKEN_FILE", "KEYWARD_DEV_ISSUER_KEY", "KEYWARD_DEV_ISSUER"), new ArrayList<>(env.keySet()));
      assertEquals(stack.keyserverAddress(), env.get("KEYWARD_SERVER"));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.issuerKeyFile())));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.adminTokenFile())));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));

      CliRunner cli = new CliRunner(env);
      CliRunner.Result list = cli.run("keys", "list");
      assertEquals(0, list.code(), list::toString);
      assertTrue(list.out().lines().anyMatch(l -> l.startsWith("default ")), list::toString);

      CliRunner.Result encrypted = cli.runWithInput("kept across runs", "encrypt", "--context", "app=demo");
      assertEquals(0, encrypted.code(), encrypted::toString);
      ciphertext = encrypted.out().strip();

      // The workload token and a freshly minted one are accepted by the dev policy.
      CliRunner workload = cli.with("KEYWARD_TOKEN_FILE", env.get("KEYWARD_WORKLOAD_TOKEN_FILE"));
      assertEquals("kept across runs", workload.runWithInput(ciphertext, "decrypt", "--context", "app=demo").out());
      CliRunner.Result minted = cli.run("token", "mint", "--subject", "spiffe://dev.local/job");
      assertEquals(0, minted.code(), minted::toString);
      Path mintedFile = Files.writeString(dir.resolve("minted.token"), minted.out());
      assertEquals(0, cli.with("KEYWARD_TOKEN_FILE", mintedFile.toString()).run("keys", "list").code());

      assertTrue(stack.sidecarUrl().isPresent(), () -> "sidecar did not start: " + stack.sidecarProblem() + "\n" + banner);
      assertEquals(stack.sidecarUrl().get(), env.get("KEYWARD_SIDECAR_URL"));
      runCurlExample(banner, stack.envFile());

      // `encrypt/decrypt --sidecar-url` against the real sidecar, and its ciphertext opens
      // through the keyserver path too (one format, whoever encrypts).
      String sidecarUrl = env.get("KEYWARD_SIDECAR_URL");
      CliRunner.Result viaSidecar = cli.runWithInput("through the sidecar",
          "encrypt", "--sidecar-url", sidecarUrl, "--context", "app=demo");
      assertEquals(0, viaSidecar.code(), viaSidecar::toString);
      CliRunner.Result back = cli.runWithInput(viaSidecar.out().strip(),
          "decrypt", "--sidecar-url", sidecarUrl, "--context", "app=demo");
      assertEquals("through the sidecar", back.out(), back::toString);
      assertEquals("through the sidecar",
          workload.runWithInput(viaSidecar.out().strip(), "decrypt", "--context", "app=demo").out());
      CliRunner.Result wrongContext = cli.runWithInput(viaSidecar.out().strip(),
          "decrypt", "--sidecar-url", sidecarUrl, "--context", "app=other");
      assertEquals(ExitCodes.FAILED, wrongContext.code(), wrongContext::toString);

      assertEquals(0, cli.run("keys", "rotate", "default").code());
      caBefore = Files.readAllBytes(stack.caCert());
      issuerBefore = Files.readAllBytes(stack.issuerKeyFile());
    }

    try (DevStack again = DevStack.start(DevStack.Options.of(data, 0, 0))) {
      assertTrue(again.reused());
      assertEquals(2, again.defaultKey().getPrimaryVersion(), "the rotation of the first run is still there");
      assertEquals(2, again.defaultKey().getVersionsCount());
      assertArrayEquals(caBefore, Files.readAllBytes(again.caCert()), "the CA is reused");
      assertArrayEquals(issuerBefore, Files.readAllBytes(again.issuerKeyFile()), "the issuer key is reused");
      CliRunner cli = new CliRunner(DevStack.readEnvFile(again.envFile()));
      CliRunner.Result decrypted = cli.runWithInput(ciphertext, "decrypt", "--context", "app=demo");
      assertEquals(0, decrypted.code(), decrypted::toString);
      assertEquals("kept across runs", decrypted.out());

      // `source DATA/env && keyward keys list` in a real shell, with a clean environment.
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      ProcessBuilder pb = new ProcessBuilder("bash", "-c",
          "source \"$1\" && exec \"$2\" -cp \"$3\" io.keyward.cli.KeywardCommand keys list",
          "sh", again.envFile().toString(), javaBin, System.getProperty("java.class.path"));
      pb.environment().keySet().removeIf(k -> k.startsWith("KEYWARD_"));
      pb.redirectErrorStream(true);
      Process p = pb.start();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      String shellOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), shellOut);
      assertTrue(shellOut.lines().anyMatch(l -> l.matches("default\\s+2\\s+1\\s+2\\s.*")), shellOut);
    }
  }

  @Test
  void optionsRefuseBadPorts() {
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> DevStack.Options.of(dir, 70000, 0));
    assertEquals("keyserver port must be 0..65535, got 70000", e.getMessage());
  }

  private static String banner(DevStack stack) {
    return banner(stack, Optional.empty());
  }

  private static String banner(DevStack stack, Optional<Path> launcherDir) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DevCommand.printBanner(stack, new PrintStream(bytes, true, StandardCharsets.UTF_8), launcherDir);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The banner's source and PATH lines, run as printed in a clean shell, make `keyward` bin/keyward. */
  private static void assertPrintedPathFindsTheLauncher(DevStack stack) throws Exception {
    Path bin = Path.of("..", "bin").toAbsolutePath().normalize();
    assertTrue(Files.isExecutable(bin.resolve("keyward")), bin.toString());
    List<String> lines = banner(stack, Optional.of(bin)).lines().map(String::strip).toList();
    int source = lines.indexOf("source " + stack.envFile());
    assertTrue(source >= 0 && lines.get(source + 1).startsWith("export PATH="), lines.toString());
    String script = String.join("\n", lines.subList(source, source + 2)) + "\ncommand -v keyward";
    Process p = new ProcessBuilder("env", "-i", "PATH=/usr/bin:/bin", "bash", "--norc", "-c", script)
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(bin.resolve("keyward").toString(), out);
    assertTrue(banner(stack).contains("put the repository's bin/ folder on your PATH"));
  }

  /** Runs the printed curl lines as printed, after sourcing the env file. */
  private static void runCurlExample(String banner, Path envFile) throws Exception {
    List<String> lines = banner.lines().toList();
    int start = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().startsWith("CT=$(curl")) {
        start = i;
      }
    }
    assertTrue(start >= 0, banner);
    String script = "source '" + envFile + "'\n" + String.join("\n", lines.subList(start, start + 5));
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("kw1."), out);
    assertTrue(out.contains("aGVsbG8gd29ybGQ="), out);
  }
}
