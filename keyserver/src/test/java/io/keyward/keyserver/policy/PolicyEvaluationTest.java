package io.keyward.keyserver.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keyward.keyserver.identity.WorkloadIdentity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PolicyEvaluationTest {
  static final String K8S = "https://kubernetes.default.svc.cluster.local";
  static final Instant EXP = Instant.parse("2026-01-01T01:00:00Z");

  static WorkloadIdentity serviceAccount(String namespace, String name) {
    return new WorkloadIdentity(
        K8S,
        "system:serviceaccount:" + namespace + ":" + name,
        Optional.of(namespace),
        Optional.of(name),
        Optional.of(name + "-7d9f8-abcde"),
        Optional.empty(),
        EXP);
  }

  static WorkloadIdentity spiffe(String trustDomain, String path) {
    return new WorkloadIdentity(
        "https://spire." + trustDomain,
        "spiffe://" + trustDomain + path,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.of(trustDomain),
        EXP);
  }

  static Policy policy(String yaml) throws PolicyValidationException {
    return Policy.parse(yaml);
  }

  static Decision evaluate(Policy p, WorkloadIdentity who, Operation op, String key) {
    return p.evaluate(who, op, Optional.ofNullable(key), Map.of());
  }

  private static final String TWO_TENANTS =
      "rules:\n"
          + "  - name: a-app\n"
          + "    match:\n"
          + "      issuer: " + K8S + "\n"
          + "      namespace: a\n"
          + "    keys: [key-a]\n"
          + "    operations: [encrypt, decrypt]\n"
          + "  - name: b-app\n"
          + "    match:\n"
          + "      issuer: " + K8S + "\n"
          + "      namespace: b\n"
          + "    keys: [key-b]\n"
          + "    operations: [encrypt, decrypt]\n";

  @Test
  void denyAllDeniesEverything() {
    Policy p = Policy.denyAll();
    assertEquals(0, p.ruleCount());
    List<String> allowed = new ArrayList<>();
    for (Operation op : Operation.values()) {
      for (String key : new String[] {null, "payments"}) {
        if (p.evaluate(serviceAccount("a", "app"), op, Optional.ofNullable(key), Map.of()).allowed()) {
          allowed.add(op + " " + key);
        }
      }
    }
    assertEquals(List.of(), allowed);
  }

  @Test
  void emptyRuleListDeniesEverything() throws Exception {
    Policy p = policy("rules: []\n");
    assertEquals(0, p.ruleCount());
    Decision d = evaluate(p, serviceAccount("a", "app"), Operation.DECRYPT, "key-a");
    assertFalse(d.allowed());
    assertEquals("no rule grants decrypt", d.reason());
  }

  @Test
  void workloadCannotUseAnotherWorkloadsKey() throws Exception {
    Policy p = policy(TWO_TENANTS);
    WorkloadIdentity a = serviceAccount("a", "app");
    assertTrue(evaluate(p, a, Operation.DECRYPT, "key-a").allowed());
    Decision stolen = evaluate(p, a, Operation.DECRYPT, "key-b");
    assertFalse(stolen.allowed());
    assertEquals("no rule granting decrypt to the caller covers key 'key-b'", stolen.reason());
    assertTrue(evaluate(p, serviceAccount("b", "app"), Operation.DECRYPT, "key-b").allowed());
  }

  @Test
  void ruleNotGrantingTheOperationDoesNotAllowIt() throws Exception {
    Policy p = policy(TWO_TENANTS);
    Decision d = evaluate(p, serviceAccount("a", "app"), Operation.ROTATE_KEY, "key-a");
    assertFalse(d.allowed());
    assertFalse(evaluate(p, serviceAccount("a", "app"), Operation.REWRAP, "key-a").allowed());
  }

  @Test
  void otherIssuerWithSameNamespaceIsDenied() throws Exception {
    Policy p = policy(TWO_TENANTS);
    WorkloadIdentity forged =
        new WorkloadIdentity("https://evil.example", "system:serviceaccount:a:app",
            Optional.of("a"), Optional.of("app"), Optional.empty(), Optional.empty(), EXP);
    Decision d = evaluate(p, forged, Operation.DECRYPT, "key-a");
    assertFalse(d.allowed());
    assertEquals("no rule granting decrypt matches the caller", d.reason());
  }

  @Test
  void allowReasonNamesTheRuleAndIsShared() throws Exception {
    Policy p = policy(TWO_TENANTS);
    Decision first = evaluate(p, serviceAccount("a", "app"), Operation.ENCRYPT, "key-a");
    Decision second = evaluate(p, serviceAccount("a", "other"), Operation.ENCRYPT, "key-a");
    assertEquals(Decision.allow("allowed by rule 'a-app'"), first);
    assertSame(first, second);
  }

  @Test
  void keyOperationWithoutKeyNameIsDenied() throws Exception {
    Policy p = policy(TWO_TENANTS);
    Decision d = evaluate(p, serviceAccount("a", "app"), Operation.ENCRYPT, null);
    assertFalse(d.allowed());
    assertEquals("operation encrypt needs a key name", d.reason());
  }

  private static final String TENANT_BOUND =
      "rules:\n"
          + "  - name: tenants\n"
          + "    match:\n"
          + "      subject: \"system:serviceaccount:*:*\"\n"
          + "    keys: [shared]\n"
          + "    operations: [encrypt, decrypt]\n"
          + "    context:\n"
          + "      tenant: \"{namespace}\"\n"
          + "      region: eu\n";

  @Test
  void contextBindingIsEnforced() throws Exception {
    Policy p = policy(TENANT_BOUND);
    WorkloadIdentity a = serviceAccount("a", "app");

    Decision missing = p.evaluate(a, Operation.DECRYPT, Optional.of("shared"), Map.of("region", "eu"));
    assertFalse(missing.allowed());
    assertEquals(
        "rule 'tenants' grants decrypt on key 'shared' but context entry 'tenant' is missing",
        missing.reason());

    Decision wrong =
        p.evaluate(a, Operation.DECRYPT, Optional.of("shared"), Map.of("tenant", "b", "region", "eu"));
    assertFalse(wrong.allowed());
    assertEquals(
        "rule 'tenants' grants decrypt on key 'shared' but context entry 'tenant' does not have "
            + "the required value",
        wrong.reason());

    Decision prefixOnly =
        p.evaluate(a, Operation.DECRYPT, Optional.of("shared"), Map.of("tenant", "ab", "region", "eu"));
    assertFalse(prefixOnly.allowed());

    Decision wrongLiteral =
        p.evaluate(a, Operation.DECRYPT, Optional.of("shared"), Map.of("tenant", "a", "region", "us"));
    assertFalse(wrongLiteral.allowed());

    Decision right =
        p.evaluate(
            a, Operation.DECRYPT, Optional.of("shared"),
            Map.of("tenant", "a", "region", "eu", "extra", "ignored"));
    assertTrue(right.allowed(), right.reason());
  }

  @Test
  void contextValuesNeverAppearInReasons() throws Exception {
    Policy p = policy(TENANT_BOUND);
    Decision d =
        p.evaluate(serviceAccount("a", "app"), Operation.DECRYPT, Optional.of("shared"),
            Map.of("tenant", "s3cr3t-value", "region", "eu"));
    assertFalse(d.allowed());
    assertFalse(d.reason().contains("s3cr3t-value"), d.reason());
  }

  @Test
  void nullContextValueDoesNotMatch() throws Exception {
    Policy p = policy(TENANT_BOUND);
    Map<String, String> context = new HashMap<>();
    context.put("tenant", null);
    context.put("region", "eu");
    assertFalse(
        p.evaluate(serviceAccount("a", "app"), Operation.DECRYPT, Optional.of("shared"), context)
            .allowed());
  }

  @Test
  void placeholderMissingFromIdentityDenies() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: any-spiffe\n"
                + "    match:\n"
                + "      subject: \"spiffe://**\"\n"
                + "    keys: [shared]\n"
                + "    operations: [decrypt]\n"
                + "    context:\n"
                + "      tenant: \"{namespace}\"\n");
    WorkloadIdentity noNamespace = spiffe("prod.example", "/ns/a/sa/app");
    // An empty tenant must not match a namespace the caller does not have.
    for (String tenant : new String[] {"", "{namespace}", "a"}) {
      Decision d =
          p.evaluate(noNamespace, Operation.DECRYPT, Optional.of("shared"), Map.of("tenant", tenant));
      assertFalse(d.allowed(), tenant);
      assertEquals(
          "rule 'any-spiffe' grants decrypt on key 'shared' but context entry 'tenant' is bound to"
              + " an identity attribute the caller does not have",
          d.reason());
    }
  }

  @Test
  void composedPlaceholderTemplate() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: per-sa\n"
                + "    match: {namespace: \"*\"}\n"
                + "    keys: [shared]\n"
                + "    operations: [encrypt]\n"
                + "    context: {owner: \"sa:{namespace}/{serviceAccount}\"}\n");
    WorkloadIdentity a = serviceAccount("a", "app");
    assertTrue(p.evaluate(a, Operation.ENCRYPT, Optional.of("shared"), Map.of("owner", "sa:a/app")).allowed());
    assertFalse(p.evaluate(a, Operation.ENCRYPT, Optional.of("shared"), Map.of("owner", "sa:a/app2")).allowed());
    assertFalse(p.evaluate(a, Operation.ENCRYPT, Optional.of("shared"), Map.of("owner", "a/app")).allowed());
  }

  @Test
  void trustDomainAndPodPlaceholders() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: by-domain\n"
                + "    match: {subject: \"spiffe://**\"}\n"
                + "    keys: [k]\n"
                + "    operations: [encrypt]\n"
                + "    context: {domain: \"{spiffeTrustDomain}\"}\n"
                + "  - name: by-pod\n"
                + "    match: {namespace: a}\n"
                + "    keys: [k]\n"
                + "    operations: [encrypt]\n"
                + "    context: {pod: \"{pod}\", issuer: \"{issuer}\"}\n");
    WorkloadIdentity svid = spiffe("prod.example", "/billing");
    assertTrue(p.evaluate(svid, Operation.ENCRYPT, Optional.of("k"), Map.of("domain", "prod.example")).allowed());
    assertFalse(p.evaluate(svid, Operation.ENCRYPT, Optional.of("k"), Map.of("domain", "dev.example")).allowed());
    WorkloadIdentity pod = serviceAccount("a", "app");
    assertTrue(
        p.evaluate(pod, Operation.ENCRYPT, Optional.of("k"),
                Map.of("pod", "app-7d9f8-abcde", "issuer", K8S))
            .allowed());
    WorkloadIdentity noPod =
        new WorkloadIdentity(K8S, "system:serviceaccount:a:app", Optional.of("a"),
            Optional.of("app"), Optional.empty(), Optional.empty(), EXP);
    assertFalse(
        p.evaluate(noPod, Operation.ENCRYPT, Optional.of("k"), Map.of("pod", "", "issuer", K8S))
            .allowed());
  }

  @Test
  void subjectAndKeyGlobs() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: payments-api\n"
                + "    match:\n"
                + "      issuer: " + K8S + "\n"
                + "      subject: \"system:serviceaccount:payments:*\"\n"
                + "    keys: [\"payments\", \"payments-*\"]\n"
                + "    operations: [encrypt, decrypt]\n"
                + "  - name: spiffe-prod\n"
                + "    match:\n"
                + "      subject: \"spiffe://prod.example/ns/*/sa/billing\"\n"
                + "    keys: [\"billing/**\"]\n"
                + "    operations: [decrypt]\n");
    List<String> failures = new ArrayList<>();
    Object[][] cases = {
      {serviceAccount("payments", "api"), "payments", true},
      {serviceAccount("payments", "api"), "payments-eu", true},
      {serviceAccount("payments", "api"), "payments-", true},
      {serviceAccount("payments", "api"), "paymentsx", false},
      {serviceAccount("payments", "api"), "billing/x", false},
      {serviceAccount("payments-2", "api"), "payments", false},
      {serviceAccount("other", "api"), "payments", false},
      {spiffe("prod.example", "/ns/shop/sa/billing"), "billing/eu/1", true},
      {spiffe("prod.example", "/ns/shop/sa/billing"), "billing", false},
      {spiffe("prod.example", "/ns/shop/extra/sa/billing"), "billing/eu", false},
      {spiffe("prod.example", "/ns/shop/sa/billing-2"), "billing/eu", false},
      {spiffe("dev.example", "/ns/shop/sa/billing"), "billing/eu", false},
    };
    for (Object[] c : cases) {
      WorkloadIdentity who = (WorkloadIdentity) c[0];
      Decision d = evaluate(p, who, Operation.DECRYPT, (String) c[1]);
      if (d.allowed() != (Boolean) c[2]) {
        failures.add(who.subject() + " " + c[1] + " -> " + d);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void adminShorthandsAndKeylessAdminOperations() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: operators\n"
                + "    match: {namespace: keyward-system}\n"
                + "    keys: [\"payments-*\"]\n"
                + "    operations: [admin]\n"
                + "    context: {tenant: \"{namespace}\"}\n"
                + "  - name: root\n"
                + "    match: {subject: \"system:serviceaccount:root:**\"}\n"
                + "    keys: [\"**\"]\n"
                + "    operations: [all]\n");
    WorkloadIdentity operator = serviceAccount("keyward-system", "cli");
    List<String> failures = new ArrayList<>();
    for (Operation op : Operation.values()) {
      // admin: every admin op on covered keys, context bindings ignored; nothing else.
      boolean onKey = p.evaluate(operator, op, Optional.of("payments-1"), Map.of()).allowed();
      if (onKey != op.isAdmin()) {
        failures.add("operator " + op + " on payments-1: " + onKey);
      }
      if (op.isAdmin() && p.evaluate(operator, op, Optional.of("billing"), Map.of()).allowed()) {
        failures.add("operator " + op + " on uncovered key allowed");
      }
      if (op.isAdmin() && !p.evaluate(operator, op, Optional.empty(), Map.of()).allowed()) {
        failures.add("operator key-less " + op + " denied");
      }
      if (!evaluate(p, serviceAccount("root", "x"), op, "anything").allowed()) {
        failures.add("root " + op + " denied");
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void singleAdminOperationDoesNotGrantOthers() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: auditors\n"
                + "    match: {namespace: audit}\n"
                + "    keys: [\"**\"]\n"
                + "    operations: [read-audit, read-policy]\n");
    WorkloadIdentity auditor = serviceAccount("audit", "reader");
    assertTrue(p.evaluate(auditor, Operation.READ_AUDIT, Optional.empty(), Map.of()).allowed());
    assertTrue(p.evaluate(auditor, Operation.READ_POLICY, Optional.empty(), Map.of()).allowed());
    assertFalse(p.evaluate(auditor, Operation.WRITE_POLICY, Optional.empty(), Map.of()).allowed());
    assertFalse(p.evaluate(auditor, Operation.READ_KEY, Optional.empty(), Map.of()).allowed());
    assertFalse(p.evaluate(auditor, Operation.DECRYPT, Optional.of("x"), Map.of()).allowed());
  }

  @Test
  void namespaceMatcherNeedsANamespace() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: any-ns\n"
                + "    match: {namespace: \"**\"}\n"
                + "    keys: [k]\n"
                + "    operations: [encrypt]\n");
    assertTrue(evaluate(p, serviceAccount("a", "b"), Operation.ENCRYPT, "k").allowed());
    assertFalse(evaluate(p, spiffe("td", "/x"), Operation.ENCRYPT, "k").allowed());
  }

  @Test
  void firstMatchingRuleWinsAndLaterRulesAreTried() throws Exception {
    Policy p =
        policy(
            "rules:\n"
                + "  - name: bound\n"
                + "    match: {namespace: a}\n"
                + "    keys: [k]\n"
                + "    operations: [encrypt]\n"
                + "    context: {tenant: x}\n"
                + "  - name: open\n"
                + "    match: {namespace: a}\n"
                + "    keys: [k]\n"
                + "    operations: [encrypt]\n");
    Decision d = evaluate(p, serviceAccount("a", "b"), Operation.ENCRYPT, "k");
    assertEquals(Decision.allow("allowed by rule 'open'"), d);
    assertEquals(2, p.ruleCount());
  }

  @Test
  void hostileKeyNameIsBoundedInReason() throws Exception {
    Policy p = policy(TWO_TENANTS);
    String key = "x\n".repeat(500);
    Decision d = evaluate(p, serviceAccount("a", "app"), Operation.DECRYPT, key);
    assertFalse(d.allowed());
    assertFalse(d.reason().contains("\n"));
    assertTrue(d.reason().length() < 200, d.reason());
  }
}
