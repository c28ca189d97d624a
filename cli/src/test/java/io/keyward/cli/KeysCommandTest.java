package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.keyserver.NetworkKeyserver;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every keys verb against a real TLS keyserver, in table and JSON, with its exit codes. */
class KeysCommandTest {
  @TempDir static Path dir;
  static NetworkKeyserver ks;
  static CliRunner admin;

  @BeforeAll
  static void start() throws Exception {
    ks = NetworkKeyserver.start(Files.createDirectories(dir.resolve("ks")));
    admin = CliRunner.against(ks, dir, "admin", ks.adminToken());
  }

  @AfterAll
  static void stop() {
    ks.close();
  }

  static JsonNode json(CliRunner.Result r) throws Exception {
    assertEquals(0, r.code(), r::toString);
    return Output.JSON.readTree(r.out());
  }

  @Test
  void createListAndDescribeInTableAndJson() throws Exception {
    CliRunner.Result created = admin.run("keys", "create", "a-orders", "--rotation-period", "90d",
        "--rotate-after-data-keys", "1000");
    assertEquals(0, created.code(), created::toString);
    assertTrue(created.out().contains("Key:                        a-orders"), created::toString);
    assertTrue(created.out().contains("every 90d, after 1000 data keys"), created::toString);

    CliRunner.Result list = admin.run("keys", "list");
    assertEquals(0, list.code(), list::toString);
    assertTrue(list.out().startsWith("NAME"), list::toString);
    assertTrue(list.out().lines().anyMatch(l -> l.matches("a-orders\\s+1\\s+1\\s+1\\s+every 90d.*")), list::toString);

    JsonNode keys = json(admin.run("keys", "list", "-o", "json"));
    JsonNode orders = null;
    for (JsonNode k : keys) {
      if (k.get("name").asText().equals("a-orders")) {
        orders = k;
      }
    }
    assertTrue(orders != null, keys::toString);
    assertEquals("90d", orders.get("rotationPeriod").asText());
    assertEquals(1000, orders.get("rotateAfterDataKeys").asLong());

    JsonNode described = json(admin.run("--output", "json", "keys", "describe", "a-orders"));
    assertEquals(1, described.get("primaryVersion").asInt());
    assertEquals(1, described.get("versions").size());
    assertEquals("ENABLED", described.get("versions").get(0).get("state").asText());
    assertTrue(described.get("versions").get(0).get("primary").asBoolean());
    assertEquals(0, described.get("versions").get(0).get("dataKeysIssued").asLong());

    CliRunner.Result table = admin.run("keys", "describe", "a-orders");
    assertTrue(table.out().contains("1 (primary)  ENABLED"), table::toString);
  }

  @Test
  void rotateDisableEnableAndMinimumDecryptionVersion() throws Exception {
    assertEquals(0, admin.run("keys", "create", "a-rot").code());
    JsonNode rotated = json(admin.run("keys", "rotate", "a-rot", "-o", "json"));
    assertEquals(2, rotated.get("primaryVersion").asInt());

    JsonNode disabled = json(admin.run("keys", "disable", "a-rot", "--version", "1", "-o", "json"));
    assertEquals("DISABLED", disabled.get("versions").get(0).get("state").asText());

    CliRunner.Result primary = admin.run("keys", "disable", "a-rot", "--version", "2");
    assertEquals(ExitCodes.FAILED_PRECONDITION, primary.code(), primary::toString);
    assertTrue(primary.err().startsWith("keyward: failed precondition"), primary::toString);
    assertEquals(1, primary.err().lines().count(), primary::toString);

    JsonNode enabled = json(admin.run("keys", "enable", "a-rot", "--version", "1", "-o", "json"));
    assertEquals("ENABLED", enabled.get("versions").get(0).get("state").asText());

    JsonNode min = json(admin.run("keys", "set-min-decryption-version", "a-rot", "2", "-o", "json"));
    assertEquals(2, min.get("minDecryptionVersion").asInt());
    CliRunner.Result table = admin.run("keys", "describe", "a-rot");
    assertTrue(table.out().contains("below minimum: does not decrypt"), table::toString);

    CliRunner.Result aboveRimary = admin.run("keys", "set-min-decryption-version", "a-rot", "3");
    assertEquals(ExitCodes.FAILED_PRECONDITION, aboveRimary.code(), aboveRimary::toString);
  }

  @Test
  void scheduleDestroyRefusesThePrimaryAndSaysWhen() throws Exception {
    assertEquals(0, admin.run("keys", "create", "a-destroy").code());
    CliRunner.Result refused = admin.run("keys", "schedule-destroy", "a-destroy", "--version", "1");
    assertEquals(ExitCodes.FAILED_PRECONDITION, refused.code(), refused::toString);
    assertTrue(refused.err().contains("is the primary"), refused::toString);

    assertEquals(0, admin.run("keys", "rotate", "a-destroy").code());
    CliRunner.Result scheduled = admin.run("keys", "schedule-destroy", "a-destroy", "--version", "1",
        "--waiting-period", "30d");
    assertEquals(0, scheduled.code(), scheduled::toString);
    assertTrue(scheduled.out().startsWith("Version 1 of key 'a-destroy' will be destroyed at 20"), scheduled::toString);
    assertTrue(scheduled.out().contains("DESTROY_SCHEDULED"), scheduled::toString);

    JsonNode cancelled = json(admin.run("keys", "cancel-destroy", "a-destroy", "--version", "1", "-o", "json"));
    assertEquals("DISABLED", cancelled.get("versions").get(0).get("state").asText());
  }

  @Test
  void exitCodesForNotFoundDeniedUnauthenticatedUnavailableAndUsage() throws Exception {
    CliRunner.Result missing = admin.run("keys", "describe", "no-such-key");
    assertEquals(ExitCodes.NOT_FOUND, missing.code(), missing::toString);
    assertEquals("keyward: not found: key 'no-such-key' does not exist", missing.err().strip());

    CliRunner workload = CliRunner.against(ks, dir, "workload", ks.tokenFor("a", "app"));
    CliRunner.Result denied = workload.run("keys", "list");
    assertEquals(ExitCodes.NOT_AUTHORIZED, denied.code(), denied::toString);
    assertTrue(denied.err().startsWith("keyward: permission denied"), denied::toString);

    CliRunner forged = CliRunner.against(ks, dir, "forged", "not.a.jwt");
    assertEquals(ExitCodes.NOT_AUTHORIZED, forged.run("keys", "list").code());
    CliRunner.Result noToken = new CliRunner(Map.of("KEYWARD_SERVER", ks.address(),
        "KEYWARD_CA_CERT", ks.caCertificate().toString())).run("keys", "list");
    assertEquals(ExitCodes.NOT_AUTHORIZED, noToken.code(), noToken::toString);
    assertTrue(noToken.err().contains("KEYWARD_TOKEN_FILE"), noToken::toString);

    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    CliRunner.Result down = admin.run("keys", "list", "--server", "localhost:" + closedPort, "--timeout", "3s");
    assertEquals(ExitCodes.UNAVAILABLE, down.code(), down::toString);
    assertTrue(down.err().startsWith("keyward: unavailable"), down::toString);

    CliRunner.Result unknownOption = admin.run("keys", "list", "--frobnicate");
    assertEquals(ExitCodes.USAGE, unknownOption.code(), unknownOption::toString);
    assertTrue(unknownOption.err().contains("Unknown option: '--frobnicate'"), unknownOption::toString);
    assertEquals(ExitCodes.USAGE, admin.run("keys").code());
    assertEquals(ExitCodes.USAGE, admin.run().code());
    assertEquals(ExitCodes.USAGE, admin.run("keys", "create", "x", "--rotation-period", "soon").code());
    assertEquals(ExitCodes.USAGE, admin.run("keys", "list", "--server", "no-port").code());
  }

  @Test
  void flagsWinOverTheEnvironment() throws Exception {
    CliRunner wrongServer = admin.with("KEYWARD_SERVER", "localhost:1");
    CliRunner.Result r = wrongServer.run("keys", "list", "--server", ks.address());
    assertEquals(0, r.code(), r::toString);
    assertEquals(ExitCodes.USAGE, new CliRunner(Map.of()).run("keys", "list").code());
    JsonNode viaEnv = json(admin.with("KEYWARD_OUTPUT", "json").run("keys", "list"));
    assertTrue(viaEnv.isArray());
  }

  @Test
  void helpExplainsVerbsExitCodesAndExamples() {
    CliRunner.Result root = admin.run("--help");
    assertEquals(0, root.code());
    for (String expected : new String[] {"dev", "keys", "rewrap", "audit", "policy", "token", "encrypt",
        "decrypt", "server", "sidecar", "completion", "Exit codes:", "5   unavailable", "Examples:"}) {
      assertTrue(root.out().contains(expected), () -> expected + " missing from\n" + root.out());
    }
    for (String[] verb : new String[][] {{"keys", "rotate"}, {"rewrap"}, {"policy", "apply"}, {"keys", "create"},
        {"token", "mint"}, {"encrypt"}, {"dev"}}) {
      String[] args = java.util.Arrays.copyOf(verb, verb.length + 1);
      args[verb.length] = "--help";
      CliRunner.Result help = admin.run(args);
      assertEquals(0, help.code(), help::toString);
      assertTrue(help.out().contains("Usage: keyward " + String.join(" ", verb)), help::toString);
      assertTrue(help.out().contains("Example"), help::toString);
    }
  }

  @Test
  void processVerbsPassTheirFlagsThroughUntouched() throws Exception {
    // --config of a missing file: the keyserver's own "bad configuration" exit code.
    CliRunner.Result server = admin.run("server", "--config", dir.resolve("missing.yaml").toString());
    assertEquals(2, server.code(), server::toString);
    // --token-file is also a global option; here it must reach the sidecar, not picocli.
    CliRunner.Result sidecar = admin.run("sidecar", "--token-file", "x", "--no-such-cli-flag");
    assertTrue(sidecar.code() != 0, sidecar::toString);
    assertFalse(sidecar.err().contains("Unknown option"), sidecar::toString);
    CliRunner.Result help = admin.run("server", "--help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("Usage: keyward server"), help::toString);
  }

  @Test
  void completionPrintsABashScript() {
    CliRunner.Result r = admin.run("completion");
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r::toString);
    assertTrue(r.out().contains("complete -F _complete_keyward"), r::toString);
    assertTrue(r.out().contains("set-min-decryption-version"));
    assertFalse(r.out().isBlank());
  }
}
