package io.keyward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarConfigTest {
  @TempDir Path dir;

  private SidecarConfig load(String yaml, Map<String, String> env, String... flags)
      throws Exception {
    Path file = Files.writeString(dir.resolve("sidecar.yaml"), yaml);
    return SidecarConfig.load(Optional.of(file), env, List.of(flags));
  }

  private String refused(String yaml, Map<String, String> env, String... flags) {
    return assertThrows(ConfigException.class, () -> load(yaml, env, flags)).getMessage();
  }

  @Test
  void defaults() throws Exception {
    SidecarConfig c = SidecarConfig.load(Optional.empty(), Map.of(),
        List.of("--keyserver", "keyward:8443"));
    assertEquals("keyward:8443", c.keyserverAddress());
    assertEquals(Path.of("/var/run/secrets/keyward/token"), c.tokenFile());
    assertEquals(new SidecarConfig.HostPort("127.0.0.1", 8180), c.httpListen());
    assertEquals(new SidecarConfig.HostPort("127.0.0.1", 8181), c.grpcListen());
    assertEquals(Optional.empty(), c.keyserverCaFile());
    assertFalse(c.keyserverInsecurePlaintext());
    assertEquals(Duration.ofHours(1), c.cacheDecryptGracePeriod());
    assertEquals(1 << 20, c.maxBodyBytes());
    assertEquals("0600", c.unixSocketMode());
    assertEquals(List.of(), c.proxyRoutes());
  }

  @Test
  void flagBeatsEnvironmentBeatsFile() throws Exception {
    String yaml = """
        keyserver:
          address: from-file:1
        defaultKey: file-key
        cache:
          decryptGracePeriod: 5m
        """;
    SidecarConfig fileOnly = load(yaml, Map.of());
    assertEquals("from-file:1", fileOnly.keyserverAddress());
    assertEquals(Optional.of("file-key"), fileOnly.defaultKey());
    assertEquals(Duration.ofMinutes(5), fileOnly.cacheDecryptGracePeriod());

    SidecarConfig env = load(yaml, Map.of("KEYWARD_KEYSERVER", "from-env:2",
        "KEYWARD_DEFAULT_KEY", "env-key", "UNRELATED", "x"));
    assertEquals("from-env:2", env.keyserverAddress());
    assertEquals(Optional.of("env-key"), env.defaultKey());

    SidecarConfig flag = load(yaml, Map.of("KEYWARD_KEYSERVER", "from-env:2"),
        "--keyserver=from-flag:3", "--cache-decrypt-grace-period", "90s");
    assertEquals("from-flag:3", flag.keyserverAddress());
    assertEquals(Duration.ofSeconds(90), flag.cacheDecryptGracePeriod());
  }

  @Test
  void proxyRoutesAreKeptAsPlainValues() throws Exception {
    SidecarConfig c = load("""
        keyserver: {address: "k:1"}
        proxy:
          - name: orders
            listen: 127.0.0.1:9000
            upstream: http://127.0.0.1:8080
            fields: ["$.card.number", "$.ssn"]
            timeoutSeconds: 5
            strict: true
        """, Map.of());
    assertEquals(1, c.proxyRoutes().size());
    Map<String, Object> route = c.proxyRoutes().get(0);
    assertEquals("orders", route.get("name"));
    assertEquals(List.of("$.card.number", "$.ssn"), route.get("fields"));
    assertEquals(5, ((Number) route.get("timeoutSeconds")).intValue());
    assertEquals(true, route.get("strict"));
    assertThrows(UnsupportedOperationException.class, () -> route.put("x", "y"));
  }

  @Test
  void everyBadValueIsRefusedWithWhatAndWhere() {
    List<String> failures = new ArrayList<>();
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("keyserver: {address: \"k:1\"}\nlisten: {http: \"0.0.0.0:8080\"}\n",
        "listen.http must be a loopback address");
    cases.put("keyserver: {address: \"k:1\"}\nlisten: {grpc: \"10.1.2.3:1\"}\n",
        "listen.grpc must be a loopback address");
    cases.put("keyserver: {address: \"k:1\"}\nlisten: {http: \"nonsense\"}\n",
        "listen.http must be host:port");
    cases.put("keyserver: {address: \"k:1\"}\ncache: {decryptGracePeriod: \"-5s\"}\n",
        "cache.decryptGracePeriod must be a duration");
    cases.put("keyserver: {address: \"k:1\"}\ncache: {dataKeyMaxAge: \"2d\"}\n",
        "cache.dataKeyMaxAge must be between");
    cases.put("keyserver: {address: \"k:1\"}\ncache: {maxDataKeys: 0}\n",
        "cache.maxDataKeys must be a whole number from 1");
    cases.put("keyserver: {address: \"k:1\"}\nlimits: {maxBodyBytes: lots}\n",
        "limits.maxBodyBytes must be a whole number");
    cases.put("keyserver: {address: \"k:1\"}\nlisten: {unixSocketMode: \"0666\"}\n",
        "listen.unixSocketMode must be 0600 or 0660");
    cases.put("keyserver: {address: \"k:1\"}\nunknownThing: 1\n", "unknown setting 'unknownThing'");
    cases.put("keyserver: {address: \"k:1\", port: 3}\n", "unknown setting 'keyserver.port'");
    cases.put("keyserver: {address: \"k:1\"}\nproxy: {name: x}\n", "proxy must be a list");
    cases.put("keyserver: {address: \"k:1\"}\nproxy: [3]\n", "proxy[0] must be a mapping");
    cases.put("tokenFile: /t\n", "keyserver.address is required");
    cases.put("keyserver: {address: \"k:1\", insecurePlaintext: true, caFile: /etc/hosts}\n",
        "turns TLS off, but keyserver.caFile is set");
    cases.put("keyserver: {address: \"k:1\", insecurePlaintext: maybe}\n",
        "keyserver.insecurePlaintext must be true or false");
    cases.put("keyserver: {address: \"k:1\"}\ndefaultKey: \"" + "k".repeat(300) + "\"\n",
        "defaultKey ");
    cases.put("keyserver: [1, 2]\n", "keyserver must be a mapping");
    cases.put("keyserver: {address: \"k:1\"}\nlisten: {http: \"127.0.0.1:7000\", grpc: "
        + "\"127.0.0.1:7000\"}\n", "listen.grpc must use another port");
    cases.put(": : :\n  - [", "is not valid YAML");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      try {
        load(c.getKey(), Map.of());
        failures.add("accepted: " + c.getKey());
      } catch (ConfigException e) {
        if (!e.getMessage().contains(c.getValue())) {
          failures.add("for " + c.getKey() + " expected '" + c.getValue() + "' in: "
              + e.getMessage());
        }
      } catch (Exception e) {
        failures.add("for " + c.getKey() + ": " + e);
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void messagesSayWhereTheValueCameFrom() {
    String env = refused("keyserver: {address: \"k:1\"}\n",
        Map.of("KEYWARD_HTTP_LISTEN", "192.0.2.1:80"));
    assertTrue(env.contains("got '192.0.2.1:80' (environment variable KEYWARD_HTTP_LISTEN)"), env);
    String flag = refused("keyserver: {address: \"k:1\"}\n", Map.of(), "--max-batch-items", "0");
    assertTrue(flag.contains("(flag --max-batch-items)"), flag);
    String file = refused("keyserver: {address: \"k:1\"}\nshutdownGracePeriod: soon\n", Map.of());
    assertTrue(file.contains("(config file "), file);
    assertTrue(refused("", Map.of(), "--nope", "1").contains("unknown flag '--nope'"));
    assertTrue(refused("", Map.of(), "stray").contains("unexpected argument 'stray'"));
    assertTrue(refused("", Map.of(), "--keyserver").contains("flag --keyserver needs a value"));
  }

  @Test
  void mainExitsWith2OnBadConfiguration() {
    assertEquals(2, SidecarMain.run(new String[] {"--http-listen", "0.0.0.0:1"}));
    assertEquals(2, SidecarMain.run(new String[] {"--config", dir.resolve("missing.yaml")
        .toString()}));
  }
}
