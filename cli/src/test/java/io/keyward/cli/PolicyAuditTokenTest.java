package io.keyward.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import io.keyward.keyserver.NetworkKeyserver;
import io.keyward.keyserver.TestKeyserver;
import io.keyward.testing.TestTokenIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** policy show/apply, audit tail/verify and token mint. */
class PolicyAuditTokenTest {
  @TempDir Path dir;
  NetworkKeyserver ks;
  CliRunner admin;

  @BeforeEach
  void start() throws Exception {
    ks = NetworkKeyserver.start(Files.createDirectories(dir.resolve("ks")));
    admin = CliRunner.against(ks, dir, "admin", ks.adminToken());
  }

  @AfterEach
  void stop() {
    ks.close();
  }

  private long revision() throws Exception {
    return Output.JSON.readTree(admin.run("policy", "show", "-o", "json").out()).get("revision").asLong();
  }

  @Test
  void showPrintsTheStoredDocument() throws Exception {
    CliRunner.Result table = admin.run("policy", "show");
    assertEquals(0, table.code(), table::toString);
    assertEquals("keyward: policy revision 1", table.err().strip().replaceAll(", updated .*", ""));
    assertEquals(TestKeyserver.POLICY.strip(), table.out().strip(), "stdout is exactly the stored document");
    Path shown = Files.writeString(dir.resolve("shown.yaml"), table.out());
    assertTrue(admin.run("policy", "apply", shown.toString()).out().contains("policy is valid and unchanged"));

    JsonNode json = Output.JSON.readTree(admin.run("policy", "show", "-o", "json").out());
    assertEquals(TestKeyserver.POLICY.strip(), json.get("document").asText().strip());
  }

  @Test
  void applyRejectsAnInvalidFileWithLineNumbersAndStoresNothing() throws Exception {
    long before = revision();
    Path bad = Files.writeString(dir.resolve("bad.yaml"), """
        rules:
          - name: ops
            match:
              subject: "system:serviceaccount:ops:admin"
            keys: ["**"]
            operations: [all, encrpyt]
          - name: ops
            match:
              nmespace: a
            keys: ["x"]
            operations: [encrypt]
        """);

    CliRunner.Result r = admin.run("policy", "apply", bad.toString());

    assertEquals(ExitCodes.USAGE, r.code(), r::toString);
    assertTrue(r.err().startsWith("keyward: policy " + bad + " is invalid; nothing was applied"), r::toString);
    assertTrue(r.err().contains("line 6"), r::toString);
    assertTrue(r.err().contains("encrpyt"), r::toString);
    assertTrue(r.err().contains("line 9"), r::toString);
    assertEquals(before, revision(), "nothing applied");
    assertTrue(admin.run("policy", "show").out().contains("team-a"));
  }

  @Test
  void applyShowsTheChangeThenStoresIt() throws Exception {
    long before = revision();
    String changed = TestKeyserver.POLICY.replace("keys: [\"shared\", \"a-*\"]", "keys: [\"shared\", \"a-*\", \"orders\"]");
    Path file = Files.writeString(dir.resolve("policy.yaml"), changed);

    CliRunner.Result dry = admin.run("policy", "apply", "--dry-run", file.toString());
    assertEquals(0, dry.code(), dry::toString);
    assertTrue(dry.out().contains("- " + "    keys: [\"shared\", \"a-*\"]"), dry::toString);
    assertTrue(dry.out().contains("+ " + "    keys: [\"shared\", \"a-*\", \"orders\"]"), dry::toString);
    assertTrue(dry.out().contains("not applied (--dry-run)"), dry::toString);
    assertEquals(before, revision());

    JsonNode applied = Output.JSON.readTree(admin.run("policy", "apply", file.toString(), "-o", "json").out());
    assertTrue(applied.get("applied").asBoolean());
    assertEquals(2, applied.get("diff").size());
    assertEquals(before + 1, revision());

    CliRunner.Result again = admin.run("policy", "apply", file.toString());
    assertTrue(again.out().contains("policy is valid and unchanged"), again::toString);
    assertEquals(before + 1, revision());
  }

  @Test
  void auditTailAndVerify() throws Exception {
    assertEquals(0, admin.run("keys", "create", "a-audited").code());
    assertEquals(ExitCodes.NOT_FOUND, admin.run("keys", "describe", "a-missing").code());

    CliRunner.Result tail = admin.run("audit", "tail", "-n", "5");
    assertEquals(0, tail.code(), tail::toString);
    assertTrue(tail.out().startsWith("SEQ"), tail::toString);
    assertTrue(tail.out().lines().anyMatch(l -> l.contains("CreateKey") && l.contains("a-audited") && l.endsWith("OK")),
        tail::toString);
    assertTrue(tail.out().lines().anyMatch(l -> l.contains("a-missing") && l.endsWith("NOT_FOUND")), tail::toString);

    JsonNode records = Output.JSON.readTree(admin.run("audit", "tail", "-o", "json").out());
    assertTrue(records.size() >= 2);
    assertEquals(64, records.get(0).get("hash").asText().length());

    CliRunner.Result verify = admin.run("audit", "verify");
    assertEquals(0, verify.code(), verify::toString);
    assertTrue(verify.out().startsWith("audit chain intact: "), verify::toString);
    JsonNode json = Output.JSON.readTree(admin.run("audit", "verify", "-o", "json").out());
    assertTrue(json.get("intact").asBoolean());
    assertTrue(json.get("firstBrokenSequence").isNull());
    assertEquals(ExitCodes.USAGE, admin.run("audit", "tail", "-n", "0").code());
  }

  @Test
  void tokenMintSignsWithTheSavedDevIssuerKey() throws Exception {
    Path key = dir.resolve("issuer.jwk");
    TestTokenIssuer issuer = TestTokenIssuer.loadOrCreate(key, "https://dev.test");
    CliRunner cli = new CliRunner(Map.of("KEYWARD_DEV_ISSUER_KEY", key.toString(), "KEYWARD_DEV_ISSUER", "https://dev.test"));

    CliRunner.Result r = cli.run("token", "mint", "--subject", "system:serviceaccount:shop:api", "--ttl", "10m");

    assertEquals(0, r.code(), r::toString);
    SignedJWT jwt = SignedJWT.parse(r.out().strip());
    assertTrue(jwt.verify(new com.nimbusds.jose.crypto.RSASSAVerifier((com.nimbusds.jose.jwk.RSAKey) issuer.publicJwk())));
    assertEquals("https://dev.test", jwt.getJWTClaimsSet().getIssuer());
    assertEquals("system:serviceaccount:shop:api", jwt.getJWTClaimsSet().getSubject());
    assertEquals(List.of("keyward"), jwt.getJWTClaimsSet().getAudience());
    Instant exp = jwt.getJWTClaimsSet().getExpirationTime().toInstant();
    assertTrue(Duration.between(Instant.now(), exp).compareTo(Duration.ofMinutes(11)) < 0);
    assertTrue(Duration.between(Instant.now(), exp).compareTo(Duration.ofMinutes(9)) > 0);
    assertEquals("shop", jwt.getJWTClaimsSet().getJSONObjectClaim("kubernetes.io").get("namespace"));

    assertEquals(ExitCodes.USAGE, cli.run("token", "mint", "--subject", "x", "--ttl", "30d").code());
    assertEquals(ExitCodes.USAGE, new CliRunner(Map.of()).run("token", "mint", "--subject", "x").code());
    assertEquals(ExitCodes.NOT_FOUND,
        cli.run("token", "mint", "--subject", "x", "--issuer-key", dir.resolve("none.jwk").toString()).code());
    assertEquals(ExitCodes.USAGE, cli.run("token", "mint").code());
  }
}
