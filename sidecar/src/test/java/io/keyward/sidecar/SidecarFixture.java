package io.keyward.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.keyserver.NetworkKeyserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real TLS keyserver ({@link NetworkKeyserver}) and a sidecar started from a YAML file by
 * {@link SidecarLauncher}, talking to it with the CA file and a token file, plus a small HTTP
 * client. The token file starts with a token of {@code system:serviceaccount:a:app}.
 */
final class SidecarFixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final NetworkKeyserver keyserver;
  final Path dir;
  final Path tokenFile;
  final Path configFile;
  final SidecarLauncher.Running sidecar;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private SidecarFixture(NetworkKeyserver keyserver, Path dir, Path tokenFile, Path configFile,
      SidecarLauncher.Running sidecar) {
    this.keyserver = keyserver;
    this.dir = dir;
    this.tokenFile = tokenFile;
    this.configFile = configFile;
    this.sidecar = sidecar;
  }

  /** Starts both; {@code extraYaml} is appended to the sidecar's configuration file. */
  static SidecarFixture start(Path dir, String extraYaml, String... keys) throws Exception {
    return startWithClock(dir, extraYaml, null, List.of(), keys);
  }

  /** As {@link #start}, with command-line flags that override the file. */
  static SidecarFixture start(Path dir, String extraYaml, List<String> flags, String... keys)
      throws Exception {
    return startWithClock(dir, extraYaml, null, flags, keys);
  }

  static SidecarFixture startWithClock(Path dir, String extraYaml, java.time.Clock clock,
      String... keys) throws Exception {
    return startWithClock(dir, extraYaml, clock, List.of(), keys);
  }

  /** As {@link #start}, with cache ages measured on {@code clock} (null: the system clock). */
  static SidecarFixture startWithClock(Path dir, String extraYaml, java.time.Clock clock,
      List<String> flags, String... keys) throws Exception {
    Path ksDir = Files.createDirectories(dir.resolve("keyserver"));
    NetworkKeyserver keyserver = NetworkKeyserver.start(ksDir);
    try {
      for (String key : keys) {
        keyserver.createKey(key);
      }
      Path tokenFile = dir.resolve("token");
      Files.writeString(tokenFile, keyserver.tokenFor("a", "app"));
      Path config = dir.resolve("sidecar.yaml");
      Files.writeString(config, """
          keyserver:
            address: %s
            caFile: %s
            callDeadline: 2s
          tokenFile: %s
          listen:
            http: 127.0.0.1:0
            grpc: 127.0.0.1:0
          shutdownGracePeriod: 1s
          """.formatted(keyserver.address(), keyserver.caCertificate(), tokenFile) + extraYaml);
      SidecarConfig cfg = SidecarConfig.load(Optional.of(config), Map.of(), flags);
      return new SidecarFixture(keyserver, dir, tokenFile, config, SidecarLauncher.start(cfg, null, clock));
    } catch (Exception e) {
      keyserver.close();
      throw e;
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + sidecar.httpPort() + path);
  }

  /** A response: status and parsed JSON body. */
  record Reply(int status, JsonNode body) {
    String errorCode() {
      return body.path("error").path("code").asText(null);
    }
  }

  Reply post(String path, String body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  Reply get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  Reply send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    return new Reply(r.statusCode(), body);
  }

  Reply encrypt(String key, byte[] plaintext, Map<String, String> context) throws Exception {
    var body = JSON.createObjectNode();
    if (key != null) {
      body.put("key", key);
    }
    body.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
    body.set("context", JSON.valueToTree(context));
    return post("/v1/encrypt", JSON.writeValueAsString(body));
  }

  Reply decrypt(String ciphertext, Map<String, String> context) throws Exception {
    var body = JSON.createObjectNode();
    body.put("ciphertext", ciphertext);
    body.set("context", JSON.valueToTree(context));
    return post("/v1/decrypt", JSON.writeValueAsString(body));
  }

  /** Replaces the token file the way the kubelet does: write aside, then rename over it. */
  void rotateToken(String token) throws IOException {
    Path next = dir.resolve("token.next");
    Files.writeString(next, token);
    Files.move(next, tokenFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static List<String> texts(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.path(field).asText(null)));
    return out;
  }

  @Override
  public void close() {
    try {
      sidecar.close();
    } finally {
      keyserver.close();
    }
  }
}
