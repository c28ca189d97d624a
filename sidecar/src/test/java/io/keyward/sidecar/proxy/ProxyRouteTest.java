package io.keyward.sidecar.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProxyRouteTest {
  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(String text) throws Exception {
    return new YAMLMapper().readValue(text, Map.class);
  }

  static final String VALID = """
      name: payments-egress
      listen: 127.0.0.1:15001
      upstream: http://payments.internal:8080
      rules:
        - methods: [post, PUT]
          path: /v1/customers/**
          encrypt:
            - field: /card/number
          key: payments
          context:
            field: "{field}"
      """;

  @Test
  void theDocumentedExampleParses() throws Exception {
    Map<String, Object> root;
    try (InputStream in = getClass().getResourceAsStream("/proxy/example.yaml")) {
      root = yaml(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> routes = (List<Map<String, Object>>) root.get("proxy");
    assertEquals(2, ProxyRoute.listFromConfig(routes).size());
    ProxyRoute egress = ProxyRoute.fromConfig(routes.get(0));
    assertEquals("payments-egress", egress.name());
    assertEquals("127.0.0.1", egress.listenHost());
    assertEquals(15001, egress.listenPort());
    assertEquals(URI.create("http://payments.internal:8080"), egress.upstream());
    assertEquals(1048576, egress.maxBodyBytes());
    assertTrue(egress.decryptResponses());
    ProxyRule rule = egress.rules().get(0);
    assertEquals(Set.of("POST", "PUT", "PATCH"), rule.methods());
    assertEquals("/v1/customers/**", rule.pathPattern());
    assertEquals(List.of("/card/number", "$.contacts[*].email"), rule.fields());
    assertEquals("payments", rule.keyName());
    assertEquals(Map.of("field", "{field}", "tenant", "{header:X-Tenant}"), rule.contextTemplates());

    ProxyRoute ingress = ProxyRoute.fromConfig(routes.get(1));
    assertEquals(ProxyRoute.DEFAULT_MAX_BODY_BYTES, ingress.maxBodyBytes());
    assertTrue(ingress.decryptResponses());
    assertEquals("/api", ingress.upstreamBasePath());
    assertTrue(ingress.rules().get(0).methods().isEmpty());
    assertTrue(ingress.rules().get(0).matches("DELETE", "/orders/17/notes"));
    assertFalse(ingress.rules().get(0).matches("POST", "/orders/17/18/notes"));
  }

  @Test
  void methodsAreUpperCasedAndResponseRulesFallBackToThePath() throws Exception {
    ProxyRoute route = ProxyRoute.fromConfig(yaml(VALID));
    assertEquals(Set.of("POST", "PUT"), route.rules().get(0).methods());
    assertTrue(route.requestRule("POST", "/v1/customers/1").isPresent());
    assertTrue(route.requestRule("GET", "/v1/customers/1").isEmpty());
    assertTrue(route.responseRule("GET", "/v1/customers/1").isPresent());
    assertTrue(route.responseRule("GET", "/v1/orders/1").isEmpty());
  }

  /** Each case: a replacement of one line of VALID, and what the message must say. */
  @Test
  void everyInvalidSettingIsRejectedWithAMessageNamingRouteAndSetting() throws Exception {
    String[][] cases = {
        {"listen: 127.0.0.1:15001", "listen: \"15001\"", "proxy route payments-egress, listen must be host:port"},
        {"listen: 127.0.0.1:15001", "listen: 15001", "proxy route payments-egress, listen must be a non-empty string"},
        {"listen: 127.0.0.1:15001", "listen: 127.0.0.1:70000", "listen must be host:port"},
        {"upstream: http://payments.internal:8080", "upstream: https://p:8443",
            "https upstreams are not supported yet"},
        {"upstream: http://payments.internal:8080", "upstream: http://p:80/?q=1",
            "upstream must be http://host[:port][/base-path]"},
        {"upstream: http://payments.internal:8080", "upstrem: http://p", "unknown setting 'upstrem'"},
        {"name: payments-egress", "name: bad name!", "name must be 1-63 letters"},
        {"    key: payments", "    key: \"\"", "rules[0], key must be a non-empty string"},
        {"    key: payments", "    keyy: payments", "rules[0]: unknown setting 'keyy'"},
        {"    - field: /card/number", "    - field: card.number", "encrypt[0], field must be a JSON Pointer"},
        {"    - field: /card/number", "    - field: $.card[x]", "expected an array index"},
        {"    - field: /card/number", "    - field: /card~2", "'~' in a JSON Pointer"},
        {"    - field: /card/number", "    - fields: /card/number", "unknown setting 'fields'"},
        {"      field: \"{field}\"", "      field: \"{fields}\"", "unknown placeholder {fields}"},
        {"      field: \"{field}\"", "      field: \"{header:}\"", "unknown placeholder {header:}"},
        {"      field: \"{field}\"", "      field: \"{field\"", "unclosed '{'"},
        {"      field: \"{field}\"", "      field: 7", "context.field must be a string"},
        {"    path: /v1/customers/**", "    path: v1/customers", "path must start with '/'"},
        {"  - methods: [post, PUT]", "  - methods: [\"GET /\"]", "not an HTTP method"},
    };
    List<String> failures = new ArrayList<>();
    for (String[] c : cases) {
      String text = VALID.replace(c[0], c[1]);
      if (text.equals(VALID)) {
        failures.add("case did not apply: " + c[0]);
        continue;
      }
      try {
        ProxyRoute.fromConfig(yaml(text));
        failures.add("accepted: " + c[1]);
      } catch (IllegalArgumentException e) {
        if (!e.getMessage().contains(c[2]) || !e.getMessage().contains("payments-egress")
            && !c[1].startsWith("name:")) {
          failures.add("for " + c[1] + " expected a message with '" + c[2] + "', got: " + e.getMessage());
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void routeListsNeedUniqueNamesAndListenAddresses() throws Exception {
    assertEquals(List.of(), ProxyRoute.listFromConfig(null));
    IllegalArgumentException sameName = assertThrows(IllegalArgumentException.class,
        () -> ProxyRoute.listFromConfig(List.of(yaml(VALID), yaml(VALID.replace(":15001", ":15002")))));
    assertTrue(sameName.getMessage().contains("payments-egress: name is used twice"), sameName.getMessage());
    IllegalArgumentException sameListen = assertThrows(IllegalArgumentException.class,
        () -> ProxyRoute.listFromConfig(List.of(yaml(VALID), yaml(VALID.replace("name: payments-egress", "name: other")))));
    assertTrue(sameListen.getMessage().contains("listen 127.0.0.1:15001 is already used"), sameListen.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ProxyRoute.listFromConfig("not a list"));
  }

  @Test
  void limitsAndTypesAreChecked() throws Exception {
    IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
        () -> ProxyRoute.fromConfig(yaml(VALID + "maxBodyBytes: 999999999999\n")));
    assertTrue(tooBig.getMessage().contains("maxBodyBytes must be between 1 and 67108864"),
        tooBig.getMessage());
    IllegalArgumentException notBool = assertThrows(IllegalArgumentException.class,
        () -> ProxyRoute.fromConfig(yaml(VALID + "decryptResponses: sometimes\n")));
    assertTrue(notBool.getMessage().contains("decryptResponses must be true or false"));
    IllegalArgumentException noRules = assertThrows(IllegalArgumentException.class,
        () -> ProxyRoute.fromConfig(yaml(VALID.replace("    encrypt:\n      - field: /card/number\n", ""))));
    assertTrue(noRules.getMessage().contains("encrypt must list at least one field"), noRules.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ProxyRoute.fromConfig(null));
  }
}
