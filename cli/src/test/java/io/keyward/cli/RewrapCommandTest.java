package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.cli.rewrap.SdkRewrapper;
import io.keyward.cli.rewrap.RewrapResult;
import io.keyward.keyserver.NetworkKeyserver;
import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyward rewrap}: bad records, JSON documents, stdin, resuming, and the format finding. */
class RewrapCommandTest {
  @TempDir static Path shared;
  static NetworkKeyserver ks;
  static CliRunner admin;
  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    ks = NetworkKeyserver.start(Files.createDirectories(shared.resolve("ks")));
    admin = CliRunner.against(ks, shared, "admin", ks.adminToken());
    assertEquals(0, admin.run("keys", "create", "a-rw").code());
  }

  @AfterAll
  static void stop() {
    ks.close();
  }

  private static String encrypt(String plaintext, String... context) {
    String[] args = new String[3 + context.length * 2];
    args[0] = "encrypt";
    args[1] = "--key";
    args[2] = "a-rw";
    for (int i = 0; i < context.length; i++) {
      args[3 + 2 * i] = "--context";
      args[4 + 2 * i] = context[i];
    }
    CliRunner.Result r = admin.runWithInput(plaintext, args);
    assertEquals(0, r.code(), r::toString);
    return r.out().strip();
  }

  private static String decrypt(String text, String context) {
    CliRunner.Result r = admin.runWithInput(text, "decrypt", "--context", context);
    assertEquals(0, r.code(), r::toString);
    return r.out();
  }

  private static int version(String text) {
    return Header.parse(TextForm.decode(text)).keyVersion();
  }

  private static int primary() throws Exception {
    return Output.JSON.readTree(admin.run("keys", "describe", "a-rw", "-o", "json").out()).get("primaryVersion").asInt();
  }

  @Test
  void badRecordsAreReportedAndTheRestContinues() throws Exception {
    String good1 = encrypt("one", "app=x");
    String wrongContext = encrypt("two", "app=other");
    String good2 = encrypt("three", "app=x");
    assertEquals(0, admin.run("keys", "rotate", "a-rw").code());
    int primary = primary();
    Path file = Files.writeString(dir.resolve("in.txt"),
        good1 + "\nkw1.this-is-not-base64!\n\n" + wrongContext + "\nplain text\n" + good2 + "\n");

    CliRunner.Result r = admin.run("rewrap", "--in-place", "--context", "app=x", file.toString());

    assertEquals(ExitCodes.FAILED, r.code(), r::toString);
    assertTrue(r.out().contains("rewrapped:       2"), r::toString);
    assertTrue(r.out().contains("failed:          3"), r::toString);
    assertTrue(r.out().contains(file + ":2: malformed ciphertext"), r::toString);
    assertTrue(r.out().contains(file + ":5: malformed ciphertext"), r::toString);
    assertTrue(r.out().contains(file + ":4: decryption failed"), r::toString);
    List<String> out = Files.readAllLines(file);
    assertEquals(6, out.size(), "every line is kept, blank ones included");
    assertEquals(primary, version(out.get(0)));
    assertEquals("kw1.this-is-not-base64!", out.get(1));
    assertEquals("", out.get(2));
    assertEquals(wrongContext, out.get(3), "a record that failed is written out unchanged");
    assertEquals("plain text", out.get(4));
    assertEquals(primary, version(out.get(5)));
    assertEquals("one", decrypt(out.get(0), "app=x"));
    assertEquals("three", decrypt(out.get(5), "app=x"));
  }

  @Test
  void stdinToStdoutKeepsTheSummaryOnStderrAndJsonSummaryOnRequest() throws Exception {
    String old = encrypt("piped", "app=x");
    assertEquals(0, admin.run("keys", "rotate", "a-rw").code());

    CliRunner.Result r = admin.runWithInput(old + "\n", "rewrap", "--context", "app=x", "-o", "json");

    assertEquals(0, r.code(), r::toString);
    String rewrapped = r.out().strip();
    assertEquals(primary(), version(rewrapped));
    assertEquals("piped", decrypt(rewrapped, "app=x"));
    JsonNode summary = Output.JSON.readTree(r.err());
    assertEquals(1, summary.get("rewrapped").asInt());
    assertEquals(0, summary.get("failed").asInt());
  }

  @Test
  void jsonDocumentsAtFieldPathsWithContextFromAField() throws Exception {
    String acme = encrypt("acme-ssn", "tenant=acme");
    String acme2 = encrypt("acme-card", "tenant=acme");
    String globex = encrypt("globex-ssn", "tenant=globex");
    assertEquals(0, admin.run("keys", "rotate", "a-rw").code());
    Path file = Files.writeString(dir.resolve("docs.json"), """
        {"tenant": "acme", "people": [{"ssn": "%s", "name": "A"}, {"ssn": "%s", "name": "B"}], "note": "kept"}
        {"tenant": "globex", "people": [{"ssn": "%s"}]}
        """.formatted(acme, acme2, globex));
    Path output = dir.resolve("docs-rewrapped.json");

    CliRunner.Result r = admin.run("rewrap", "--json-field", "people.*.ssn", "--context-field", "tenant=tenant",
        "--output-file", output.toString(), file.toString());

    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains("rewrapped:       3"), r::toString);
    List<String> docs = Files.readAllLines(output);
    assertEquals(2, docs.size());
    JsonNode first = Output.JSON.readTree(docs.get(0));
    JsonNode second = Output.JSON.readTree(docs.get(1));
    assertEquals("kept", first.get("note").asText());
    assertEquals("B", first.get("people").get(1).get("name").asText());
    assertEquals("acme-ssn", decrypt(first.get("people").get(0).get("ssn").asText(), "tenant=acme"));
    assertEquals("acme-card", decrypt(first.get("people").get(1).get("ssn").asText(), "tenant=acme"));
    assertEquals("globex-ssn", decrypt(second.get("people").get(0).get("ssn").asText(), "tenant=globex"));
    assertEquals(primary(), version(second.get("people").get(0).get("ssn").asText()));
    assertTrue(Files.readString(file).contains(acme), "--output-file leaves the input alone");
  }

  @Test
  void anInterruptedRunResumesFromItsJournal() throws Exception {
    String a = encrypt("a", "app=x");
    String b = encrypt("b", "app=x");
    String c = encrypt("c", "app=x");
    assertEquals(0, admin.run("keys", "rotate", "a-rw").code());
    Path file = Files.writeString(dir.resolve("resume.txt"), a + "\n" + b + "\n" + c + "\n");
    // What an interrupted run leaves: the first record written to the temporary output, plus a
    // half-written second one beyond the journalled length, which must be discarded.
    String doneFirst = "kw1.DONE-IN-THE-FIRST-RUN\n";
    Files.writeString(RewrapJournal.tempFor(file), doneFirst + "kw1.half-writ");
    new RewrapJournal(1, doneFirst.length(), 1, 0, 0, Files.size(file),
        Files.getLastModifiedTime(file).toMillis()).write(file);

    CliRunner.Result r = admin.run("rewrap", "--in-place", "--context", "app=x", file.toString());

    assertEquals(0, r.code(), r::toString);
    assertTrue(r.err().contains("resuming " + file + " after 1 records"), r::toString);
    assertTrue(r.out().contains("rewrapped:       3"), "counts include the first run: " + r);
    List<String> lines = Files.readAllLines(file);
    assertEquals(List.of("kw1.DONE-IN-THE-FIRST-RUN", lines.get(1), lines.get(2)), lines);
    assertEquals("b", decrypt(lines.get(1), "app=x"));
    assertEquals("c", decrypt(lines.get(2), "app=x"));
    assertFalse(Files.exists(RewrapJournal.fileFor(file)));
    assertFalse(Files.exists(RewrapJournal.tempFor(file)));
  }

  @Test
  void aJournalForAChangedInputIsRefusedUntilRestart() throws Exception {
    String a = encrypt("a", "app=x");
    Path file = Files.writeString(dir.resolve("changed.txt"), a + "\n");
    Files.writeString(RewrapJournal.tempFor(file), "");
    new RewrapJournal(1, 0, 0, 0, 0, Files.size(file), Files.getLastModifiedTime(file).toMillis()).write(file);
    Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() - 60_000));

    CliRunner.Result refused = admin.run("rewrap", "--in-place", "--context", "app=x", file.toString());
    assertEquals(ExitCodes.FAILED, refused.code(), refused::toString);
    assertTrue(refused.err().contains("rerun with --restart"), refused::toString);
    assertEquals(a, Files.readString(file).strip(), "nothing replaced");

    CliRunner.Result restarted = admin.run("rewrap", "--in-place", "--restart", "--context", "app=x", file.toString());
    assertEquals(0, restarted.code(), restarted::toString);
    assertEquals("a", decrypt(Files.readString(file).strip(), "app=x"));
  }

  @Test
  void progressBarShowsCountRateAndEtaWhenAsked() throws Exception {
    String a = encrypt("a", "app=x");
    Path file = Files.writeString(dir.resolve("progress.txt"), a + "\n" + a + "\n");
    CliRunner.Result shown = admin.run("rewrap", "--progress", "always", "--in-place", "--context", "app=x",
        file.toString());
    assertEquals(0, shown.code(), shown::toString);
    assertTrue(shown.err().contains("\rrewrap [##############################] 2/2"), shown::toString);
    assertTrue(shown.err().contains("ETA 0:00:00"), shown::toString);
    CliRunner.Result quiet = admin.run("rewrap", "--in-place", "--context", "app=x", file.toString());
    assertEquals("", quiet.err(), "no progress when not on a terminal");
  }

  @Test
  void usageErrors() {
    assertEquals(ExitCodes.USAGE, admin.run("rewrap", "--in-place").code());
    assertEquals(ExitCodes.NOT_FOUND, admin.run("rewrap", dir.resolve("missing.txt").toString()).code());
    assertEquals(ExitCodes.USAGE, admin.run("rewrap", "--context-field", "t=x", "-").code());
    assertEquals(ExitCodes.USAGE, admin.run("rewrap", "--context", "no-equals-sign").code());
  }

  /** Rewrap changes only the key version and wrapped data key: nonce, payload and tag are copied. */
  @Test
  void rewrapNeverTouchesThePayload() throws Exception {
    String text = encrypt("payload", "app=x");
    assertEquals(0, admin.run("keys", "rotate", "a-rw").code());
    byte[] before = TextForm.decode(text);
    GlobalOptions g = new GlobalOptions();
    g.server = ks.address();
    g.caCert = ks.caCertificate();
    g.tokenFile = shared.resolve("admin.token");
    try (KeyserverConnection conn = KeyserverConnection.open(g); KeywardClient client = conn.client()) {
      RewrapResult result = new SdkRewrapper(client).rewrap(before, Map.of("app", "x"));

      Header oldHeader = Header.parse(before);
      Header newHeader = Header.parse(result.ciphertext());
      assertFalse(result.alreadyCurrent());
      assertEquals(primary(), newHeader.keyVersion());
      assertNotEquals(oldHeader.keyVersion(), newHeader.keyVersion());
      assertArrayEquals(oldHeader.commitment(), newHeader.commitment(), "same data key");
      assertArrayEquals(Arrays.copyOfRange(before, oldHeader.length(), before.length),
          Arrays.copyOfRange(result.ciphertext(), newHeader.length(), result.ciphertext().length),
          "nonce, payload and tag are copied unchanged");
      assertEquals("payload", new String(client.decrypt(result.ciphertext(), Map.of("app", "x")), StandardCharsets.UTF_8));
      assertEquals("payload", new String(client.decrypt(before, Map.of("app", "x")), StandardCharsets.UTF_8));
    }
  }
}
