package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class InjectorConfigTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    InjectorConfig c = Fixtures.config().build();
    assertEquals(true, c.nativeSidecar());
    assertEquals("keyward", c.tokenAudience());
    assertEquals(3600, c.tokenExpirationSeconds());
    assertEquals(8180, c.httpPort());
    assertEquals("keyward-keyserver.keyward.svc:8443", c.keyserver());
  }

  @Test
  void everyBadValueIsNamed() {
    Map<String, UnaryOperator<InjectorConfig.Builder>> bad = Map.ofEntries(
        Map.entry("sidecarImage must be an image reference without spaces, got 'null'", b -> b.sidecarImage(null)),
        Map.entry("sidecarImage must be an image reference without spaces, got 'a b'", b -> b.sidecarImage("a b")),
        Map.entry("imagePullPolicy must be Always, IfNotPresent or Never, got 'Sometimes'", b -> b.imagePullPolicy("Sometimes")),
        Map.entry("keyserver must be host:port, got 'keyserver'", b -> b.keyserver("keyserver")),
        Map.entry("keyserverCaFile must hold PEM certificates, got no BEGIN CERTIFICATE line", b -> b.keyserverCaPem(Optional.of("junk"))),
        Map.entry("tokenExpirationSeconds must be between 600 and 86400, got 599", b -> b.tokenExpirationSeconds(599)),
        Map.entry("tokenAudience must be 1-256 printable characters without spaces, got 'a b'", b -> b.tokenAudience("a b")),
        Map.entry("sidecarHttpPort must be between 1 and 65535, got 0", b -> b.httpPort(0)),
        Map.entry("sidecar ports must differ, got http 8181, grpc 8181, health 8182", b -> b.httpPort(8181)),
        Map.entry("cpuRequest must be a Kubernetes quantity such as 50m or 128Mi, got 'fast'", b -> b.cpuRequest("fast")),
        Map.entry("memoryLimit must be a Kubernetes quantity such as 50m or 128Mi, got '1 GB'", b -> b.memoryLimit(Optional.of("1 GB"))),
        Map.entry("own namespace must be a DNS label, got 'Keyward'", b -> b.ownNamespace(Optional.of("Keyward"))));
    List<String> failures = new ArrayList<>();
    bad.forEach((message, tweak) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tweak.apply(Fixtures.config()).build());
      if (!message.equals(e.getMessage())) {
        failures.add("expected '" + message + "', got '" + e.getMessage() + "'");
      }
    });
    assertEquals(List.of(), failures);
  }
}
