package io.keyward.keyserver.rootkey;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SoftHSM2 token for the tests, initialised once per test JVM in a fresh token directory. The
 * surefire configuration points SOFTHSM2_CONF at the file written here (the variable must be set
 * before the library loads, so it cannot be set from inside the JVM). Skipped when SoftHSM2 is not
 * installed, unless CI is set: then it fails.
 */
public final class SoftHsm {
  public static final String TOKEN_LABEL = "keyward-test";
  public static final char[] PIN = "4711-test-pin".toCharArray();
  private static final List<Path> LIBRARIES =
      List.of(
          Path.of("/usr/lib/softhsm/libsofthsm2.so"),
          Path.of("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
          Path.of("/usr/lib64/pkcs11/libsofthsm2.so"));
  private static final Pattern SLOT = Pattern.compile("reassigned to slot (\\d+)");
  private static Path sunPkcs11Config;

  private SoftHsm() {}

  /** The SunPKCS11 configuration file of the initialised test token. */
  public static synchronized Path sunPkcs11Config() {
    if (sunPkcs11Config != null) {
      return sunPkcs11Config;
    }
    Path library = LIBRARIES.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    String conf = System.getenv("SOFTHSM2_CONF");
    if (library == null || conf == null || !onPath("softhsm2-util")) {
      String ci = System.getenv("CI");
      String why = "SoftHSM2 is not installed (softhsm2-util, libsofthsm2.so) or SOFTHSM2_CONF unset";
      if (ci != null && !ci.isEmpty()) {
        fail(why + " and CI is set");
      }
      assumeTrue(false, why + "; skipped");
    }
    try {
      Path confFile = Path.of(conf);
      Path tokens = confFile.resolveSibling("tokens-" + UUID.randomUUID());
      Files.createDirectories(tokens);
      Files.writeString(
          confFile,
          "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
              + "slots.removable = false\nslots.mechanisms = ALL\n");
      String out =
          run(
              "softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
              "--pin", new String(PIN), "--so-pin", "so-" + new String(PIN));
      Matcher m = SLOT.matcher(out);
      if (!m.find()) {
        throw new AssertionError("softhsm2-util did not report the token's slot: " + out);
      }
      Path p11 = confFile.resolveSibling("sunpkcs11-" + m.group(1) + ".cfg");
      Files.writeString(
          p11, "name = KeywardSoftHsm\nlibrary = " + library + "\nslot = " + m.group(1) + "\n");
      sunPkcs11Config = p11;
      return p11;
    } catch (IOException e) {
      throw new AssertionError("cannot set up the SoftHSM2 token", e);
    }
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  private static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command[0] + " timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError(command[0] + " failed (" + p.exitValue() + "): " + out);
    }
    return out;
  }
}
