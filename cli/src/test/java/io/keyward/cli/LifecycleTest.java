package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.NetworkKeyserver;
import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator story of issue #5: encrypt under v1, rotate, encrypt under v2, both decrypt, rewrap
 * the stored v1 ciphertexts, raise the minimum decryption version, and then only the ciphertexts
 * that were not rewrapped fail, with a clear "below minimum" error.
 */
class LifecycleTest {
  @TempDir Path dir;
  NetworkKeyserver ks;
  CliRunner admin;
  CliRunner app;

  @BeforeEach
  void start() throws Exception {
    ks = NetworkKeyserver.start(Files.createDirectories(dir.resolve("ks")));
    admin = CliRunner.against(ks, dir, "admin", ks.adminToken());
    app = CliRunner.against(ks, dir, "app", ks.tokenFor("a", "app"));
  }

  @AfterEach
  void stop() {
    ks.close();
  }

  private String encrypt(String plaintext) {
    CliRunner.Result r = app.runWithInput(plaintext, "encrypt", "--key", "a-life", "--context", "app=orders");
    assertEquals(0, r.code(), r::toString);
    return r.out().strip();
  }

  private CliRunner.Result decrypt(CliRunner who, String ciphertext) {
    return who.runWithInput(ciphertext + "\n", "decrypt", "--context", "app=orders");
  }

  private static int version(String text) {
    return Header.parse(TextForm.decode(text)).keyVersion();
  }

  @Test
  void encryptRotateRewrapAndRetireTheOldVersion() throws Exception {
    assertEquals(0, admin.run("keys", "create", "a-life").code());
    String stored1 = encrypt("first record");
    String notRewrapped = encrypt("left behind");
    assertEquals(1, version(stored1));

    CliRunner.Result rotated = admin.run("keys", "rotate", "a-life");
    assertEquals(0, rotated.code(), rotated::toString);
    String stored2 = encrypt("second record");
    assertEquals(2, version(stored2));

    assertEquals("first record", decrypt(app, stored1).out());
    assertEquals("second record", decrypt(app, stored2).out());

    Path file = Files.writeString(dir.resolve("stored.txt"), stored1 + "\n" + stored2 + "\n");
    CliRunner.Result rewrap = admin.run("rewrap", "--in-place", "--context", "app=orders", file.toString());
    assertEquals(0, rewrap.code(), rewrap::toString);
    assertTrue(rewrap.out().contains("rewrapped:       1"), rewrap::toString);
    assertTrue(rewrap.out().contains("already current: 1"), rewrap::toString);
    assertTrue(rewrap.out().contains("failed:          0"), rewrap::toString);
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size());
    assertEquals(2, version(lines.get(0)));
    assertNotEquals(stored1, lines.get(0));
    assertEquals(stored2, lines.get(1), "a ciphertext already under the primary is left as it was");
    assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().contains("keyward-rewrap")),
        "journal and temporary file are removed after a complete run");

    CliRunner.Result min = admin.run("keys", "set-min-decryption-version", "a-life", "2");
    assertEquals(0, min.code(), min::toString);

    assertEquals("first record", decrypt(app, lines.get(0)).out());
    assertEquals("second record", decrypt(app, lines.get(1)).out());

    CliRunner.Result old = decrypt(admin, notRewrapped);
    assertEquals(ExitCodes.FAILED_PRECONDITION, old.code(), old::toString);
    assertEquals("keyward: version 1 of key 'a-life' is below the minimum decryption version 2 (version below minimum)",
        old.err().strip());
    CliRunner.Result oldForApp = decrypt(app, notRewrapped);
    assertEquals(ExitCodes.FAILED_PRECONDITION, oldForApp.code(), oldForApp::toString);
    assertTrue(oldForApp.err().contains("below the minimum decryption version"), oldForApp::toString);
    assertEquals("", oldForApp.out());
  }

  @Test
  void encryptAndDecryptRefuseUnknownKeysWrongContextsAndGarbage() throws Exception {
    assertEquals(0, admin.run("keys", "create", "a-life").code());
    CliRunner.Result unknown = app.runWithInput("x", "encrypt", "--key", "a-unknown");
    assertEquals(ExitCodes.NOT_FOUND, unknown.code(), unknown::toString);
    assertEquals("keyward: key not found", unknown.err().strip());

    CliRunner.Result denied = app.runWithInput("x", "encrypt", "--key", "b-other");
    assertEquals(ExitCodes.NOT_AUTHORIZED, denied.code(), denied::toString);

    String ct = encrypt("secret");
    CliRunner.Result wrongContext = app.runWithInput(ct, "decrypt", "--context", "app=other");
    assertEquals(ExitCodes.FAILED, wrongContext.code(), wrongContext::toString);
    assertTrue(wrongContext.err().startsWith("keyward: decryption failed"), wrongContext::toString);
    assertEquals("", wrongContext.out());

    CliRunner.Result garbage = app.runWithInput("kw1.AQ!!", "decrypt");
    assertEquals(ExitCodes.FAILED, garbage.code(), garbage::toString);
    assertTrue(garbage.err().startsWith("keyward: decryption failed"), garbage::toString);

    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    CliRunner.Result roundTrip = app.runWithInput(binary, "encrypt", "--key", "a-life");
    CliRunner.Result back = app.runWithInput(roundTrip.out(), "decrypt");
    assertEquals(0, back.code(), back::toString);
    assertTrue(java.util.Arrays.equals(binary, back.outBytes()), "binary plaintext survives the round trip");
  }
}
