package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.NetworkKeyserver;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyward backup}: a restored store (with the same root key) decrypts what the old one encrypted. */
class BackupCommandTest {
  @TempDir Path dir;

  @Test
  void restoredStoreDecryptsWhatTheOldOneEncrypted() throws Exception {
    Path oldDir = Files.createDirectories(dir.resolve("old"));
    Path newDir = Files.createDirectories(dir.resolve("new"));
    Path backup = dir.resolve("keyward.backup");
    String ciphertext;
    try (NetworkKeyserver old = NetworkKeyserver.start(oldDir)) {
      old.createKey("a-backed");
      CliRunner workload = CliRunner.against(old, dir, "old-a", old.tokenFor("a", "app"));
      CliRunner.Result sealed = workload.runWithInput("kept across a restore",
          "encrypt", "--key", "a-backed", "--context", "doc=1");
      assertEquals(0, sealed.code(), sealed::toString);
      ciphertext = sealed.out().trim();

      CliRunner cli = new CliRunner(java.util.Map.of());
      CliRunner.Result created = cli.run("backup", "create", backup.toString(), "--store", "sqlite:" + oldDir.resolve("keyward.db"));
      assertEquals(0, created.code(), created::toString);
      assertTrue(Files.size(backup) > 0);
      assertTrue(!Files.readString(backup).contains("kept across a restore"));
    }

    CliRunner cli = new CliRunner(java.util.Map.of());
    String newStore = "sqlite:" + newDir.resolve("keyward.db");
    assertEquals(0, cli.run("backup", "restore", backup.toString(), "--store", newStore).code());
    assertNotEquals(0, cli.run("backup", "restore", backup.toString(), "--store", newStore).code(),
        "restoring over a non-empty store must be refused without --force");
    assertEquals(0, cli.run("backup", "restore", backup.toString(), "--store", newStore, "--force").code());

    Files.copy(oldDir.resolve("root.key"), newDir.resolve("root.key"));
    try (NetworkKeyserver restored = NetworkKeyserver.start(newDir)) {
      CliRunner workload = CliRunner.against(restored, dir, "new-a", restored.tokenFor("a", "app"));
      CliRunner.Result opened = workload.runWithInput(ciphertext, "decrypt", "--context", "doc=1");
      assertEquals(0, opened.code(), opened::toString);
      assertEquals("kept across a restore", opened.out());
    }
  }

  @Test
  void rootKeyNeedsTheRotateVerb() {
    CliRunner.Result r = new CliRunner(java.util.Map.of()).run("root-key", "spin");
    assertEquals(ExitCodes.USAGE, r.code(), r::toString);
    assertTrue(r.err().contains("root-key rotate"), r::toString);
  }
}
