package io.keyward.keyserver.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyValidationTest {
  private static List<String> errors(String yaml) {
    return assertThrows(PolicyValidationException.class, () -> Policy.parse(yaml)).errors();
  }

  private static final String VALID_RULE =
      "  - name: ok\n"
          + "    match: {namespace: a}\n"
          + "    keys: [k]\n"
          + "    operations: [encrypt]\n";

  @Test
  void validDocumentParses() throws Exception {
    assertEquals(1, Policy.parse("rules:\n" + VALID_RULE).ruleCount());
  }

  @Test
  void notAMapping() {
    assertEquals(List.of("line 1: the document must be a mapping"), errors("- a\n- b\n"));
    assertEquals(List.of("line 2: 'rules' must be a list"), errors("\nrules: {a: b}\n"));
    assertEquals(List.of("line 2: a rule must be a mapping"), errors("rules:\n  - just-a-name\n"));
  }

  @Test
  void emptyDocument() {
    assertEquals(
        List.of("line 1: document is empty; expected a mapping with 'rules'"), errors("# nothing\n"));
  }

  @Test
  void unknownFields() {
    String yaml =
        "rules:\n"
            + "  - name: ok\n"
            + "    match: {namespace: a, nmespace: b}\n"
            + "    keys: [k]\n"
            + "    operation: [encrypt]\n"
            + "version: 2\n";
    assertEquals(
        List.of(
            "line 2: rule 'ok': missing required field 'operations'",
            "line 3: unknown field 'nmespace' in rule 'ok' match (allowed: issuer, namespace,"
                + " subject)",
            "line 5: unknown field 'operation' in a rule (allowed: context, keys, match, name,"
                + " operations)",
            "line 6: unknown field 'version' in the document (allowed: rules)"),
        errors(yaml));
  }

  @Test
  void missingRequiredFields() {
    assertEquals(List.of("line 1: missing required field 'rules'"), errors("{}\n"));
    String yaml = "rules:\n" + "  - operations: [encrypt]\n";
    assertEquals(
        List.of(
            "line 2: rule: missing required field 'name'",
            "line 2: rule: missing required field 'match'",
            "line 2: rule: missing required field 'keys'"),
        errors(yaml));
  }

  @Test
  void emptyListsAndEmptyMatch() {
    String yaml =
        "rules:\n"
            + "  - name: r\n"
            + "    match: {}\n"
            + "    keys: []\n"
            + "    operations: []\n"
            + "    context: {}\n";
    assertEquals(
        List.of(
            "line 3: rule 'r': 'match' needs at least one of issuer, subject, namespace",
            "line 4: rule 'r' keys must not be empty",
            "line 5: rule 'r' operations must not be empty",
            "line 6: rule 'r': 'context' must not be empty; omit it instead"),
        errors(yaml));
  }

  @Test
  void badGlobs() {
    String yaml =
        "rules:\n"
            + "  - name: r\n"
            + "    match:\n"
            + "      subject: \"system:***\"\n"
            + "      namespace: \"team[1]\"\n"
            + "    keys: [ok, \"\", \"key?\"]\n"
            + "    operations: [encrypt]\n";
    assertEquals(
        List.of(
            "line 4: rule 'r' match.subject: bad pattern 'system:***': pattern has 3 '*' in a row;"
                + " use * or **",
            "line 5: rule 'r' match.namespace: bad pattern 'team[1]': pattern uses reserved"
                + " character '['",
            "line 6: rule 'r' keys: bad pattern '': pattern must not be empty",
            "line 6: rule 'r' keys: bad pattern 'key?': pattern uses reserved character '?'"),
        errors(yaml));
  }

  @Test
  void issuerIsExactNotAPattern() {
    String yaml =
        "rules:\n"
            + "  - name: r\n"
            + "    match: {issuer: \"https://*.example\"}\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n";
    assertEquals(
        List.of("line 3: rule 'r': match.issuer is compared exactly; '*' is not allowed"),
        errors(yaml));
  }

  @Test
  void unknownOperations() {
    String yaml =
        "rules:\n"
            + "  - name: r\n"
            + "    match: {namespace: a}\n"
            + "    keys: [k]\n"
            + "    operations:\n"
            + "      - encrypt\n"
            + "      - encrpyt\n"
            + "      - ENCRYPT\n";
    assertEquals(
        List.of(
            "line 7: rule 'r': unknown operation 'encrpyt'; known: encrypt, decrypt, rewrap,"
                + " create-key, read-key, rotate-key, manage-versions, read-policy, write-policy,"
                + " read-audit, admin, all",
            "line 8: rule 'r': unknown operation 'ENCRYPT'; known: encrypt, decrypt, rewrap,"
                + " create-key, read-key, rotate-key, manage-versions, read-policy, write-policy,"
                + " read-audit, admin, all"),
        errors(yaml));
  }

  @Test
  void duplicateRuleNamesAndFields() {
    String yaml =
        "rules:\n"
            + VALID_RULE
            + "  - name: ok\n"
            + "    match: {namespace: a, namespace: b}\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n";
    assertEquals(
        List.of(
            "line 6: duplicate rule name 'ok' (first used on line 2)",
            "line 7: rule 'ok' match: duplicate field 'namespace'"),
        errors(yaml));
  }

  @Test
  void wrongTypes() {
    String yaml =
        "rules:\n"
            + "  - name: [a, b]\n"
            + "    match: {namespace: {x: y}, issuer: }\n"
            + "    keys: k\n"
            + "    operations: {encrypt: true}\n"
            + "    context: [tenant]\n";
    assertEquals(
        List.of(
            "line 2: rule name must be a string, got a list",
            "line 3: rule match.issuer must be a string, got nothing",
            "line 3: rule match.namespace must be a string, got a mapping",
            "line 4: rule keys must be a list, got a scalar",
            "line 5: rule operations must be a list, got a mapping",
            "line 6: rule context must be a mapping"),
        errors(yaml));
  }

  @Test
  void unknownPlaceholderAndBadTemplates() {
    String yaml =
        "rules:\n"
            + "  - name: r\n"
            + "    match: {namespace: a}\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n"
            + "    context:\n"
            + "      tenant: \"{namespce}\"\n"
            + "      a: \"{namespace\"\n"
            + "      b: \"x}\"\n"
            + "      c: \"\"\n";
    assertEquals(
        List.of(
            "line 7: rule 'r': context.tenant: unknown placeholder {namespce}; known: {issuer},"
                + " {subject}, {namespace}, {serviceAccount}, {pod}, {spiffeTrustDomain}",
            "line 8: rule 'r': context.a: '{' without '}'",
            "line 9: rule 'r': context.b: '}' without '{'",
            "line 10: rule 'r': context.c: value must not be empty"),
        errors(yaml));
  }

  @Test
  void customTagsAreRejectedWithoutConstruction() {
    String globalTag =
        "rules:\n"
            + "  - name: !!javax.script.ScriptEngineManager [!!java.net.URL [\"http://x\"]]\n"
            + "    match: {namespace: a}\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n";
    assertEquals(
        List.of(
            "line 2: invalid YAML: Global tag is not allowed:"
                + " tag:yaml.org,2002:javax.script.ScriptEngineManager"),
        errors(globalTag));
    String localTag =
        "rules:\n"
            + "  - name: r\n"
            + "    match: {namespace: !custom a}\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n";
    assertEquals(
        List.of("line 3: rule 'r' match.namespace: custom YAML tags are not allowed"),
        errors(localTag));
  }

  @Test
  void syntaxErrorReportsLineWithoutEchoingDocument() {
    String yaml = "rules:\n  - name: secret-looking-text\n    match: {namespace: a\n    keys: [k]\n";
    List<String> errors = errors(yaml);
    assertEquals(1, errors.size());
    assertTrue(errors.get(0).startsWith("line 4: invalid YAML: "), errors.get(0));
    assertTrue(!errors.get(0).contains("secret-looking-text"), errors.get(0));
  }

  @Test
  void aliasBombIsRejectedFast() {
    StringBuilder yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'z'; c++) {
      yaml.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        yaml.append(i == 0 ? "" : ",").append('*').append(prev);
      }
      yaml.append("]\n");
      prev = c;
    }
    yaml.append("rules: []\n");
    List<String> errors =
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> errors(yaml.toString()));
    assertEquals(List.of("line 2: YAML aliases are not allowed"), errors);
  }

  @Test
  void evenASingleAliasIsRejected() {
    String yaml =
        "rules:\n"
            + "  - name: r\n"
            + "    match: &m {namespace: a}\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n"
            + "  - name: s\n"
            + "    match: *m\n"
            + "    keys: [k]\n"
            + "    operations: [encrypt]\n";
    assertEquals(List.of("line 7: YAML aliases are not allowed"), errors(yaml));
  }

  @Test
  void oversizedDocumentIsRejectedBeforeParsing() {
    String yaml = "rules: []\n#" + "x".repeat(PolicyParser.MAX_DOCUMENT_CHARS);
    assertEquals(
        List.of("line 1: document is larger than 1048576 characters"), errors(yaml));
  }

  @Test
  void tooManyRules() {
    StringBuilder yaml = new StringBuilder("rules:\n");
    for (int i = 0; i <= PolicyParser.MAX_RULES; i++) {
      yaml.append("  - {name: r").append(i).append(", match: {namespace: a}, keys: [k], operations: [encrypt]}\n");
    }
    assertEquals(List.of("line 2: too many rules: 1001 (at most 1000)"), errors(yaml.toString()));
  }

  @Test
  void multipleDocumentsAreRejected() {
    List<String> errors = errors("rules: []\n---\nrules: []\n");
    assertEquals(1, errors.size());
    assertTrue(errors.get(0).startsWith("line 2: invalid YAML: "), errors.get(0));
  }

  @Test
  void exceptionMessageListsEveryError() {
    PolicyValidationException e =
        assertThrows(
            PolicyValidationException.class,
            () -> Policy.parse("rules:\n  - name: r\n    match: {namespace: a}\n"));
    assertEquals(
        "policy has 2 error(s): line 2: rule 'r': missing required field 'keys'; "
            + "line 2: rule 'r': missing required field 'operations'",
        e.getMessage());
  }
}
