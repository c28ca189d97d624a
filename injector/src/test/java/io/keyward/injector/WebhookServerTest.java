package io.keyward.injector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.testing.TestCertificates;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real HTTPS server end to end: TLS from PEM files, JDK HttpClient trusting the test CA. */
class WebhookServerTest {
  @TempDir Path dir;
  private TestCertificates certs;
  private InjectorLauncher.Running running;
  private HttpClient client;

  @BeforeEach
  void start() throws Exception {
    certs = TestCertificates.create(Files.createDirectories(dir.resolve("tls")));
    running = InjectorLauncher.start(Fixtures.config().build(), new InetSocketAddress("127.0.0.1", 0),
        certs.serverCert(), certs.serverKey());
    client = client(certs.caCert());
  }

  @AfterEach
  void stop() {
    running.close();
  }

  @Test
  void mutatesADeploymentPodOverHttps() throws Exception {
    byte[] review = Fixtures.bytes("deployment-pod.json");
    HttpResponse<byte[]> r = client.send(post("/mutate", review), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
    JsonNode response = Fixtures.parse(r.body());
    assertEquals("5d1e2a77-8c4f-4f0e-b1c3-6a9d0e4b7c21", response.at("/response/uid").asText());
    assertTrue(response.at("/response/allowed").asBoolean());
    JsonNode pod = JsonPatchApplier.apply(Fixtures.review("deployment-pod.json").at("/request/object"),
        Fixtures.patch(response).orElseThrow());
    AdmissionTableTest.assertInjected(pod, Fixtures.review("deployment-pod.json").at("/request/object"), true);
  }

  @Test
  void garbageGetsAnAdmissionErrorNotAServerError() throws Exception {
    HttpResponse<byte[]> r = client.send(post("/mutate", Fixtures.bytes("garbage.json")), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    JsonNode response = Fixtures.parse(r.body());
    assertEquals(false, response.at("/response/allowed").asBoolean(true));
    assertEquals(400, response.at("/response/status/code").asInt());
  }

  @Test
  void healthAndReadiness() throws Exception {
    assertEquals(200, get("/healthz").statusCode());
    assertEquals(200, get("/readyz").statusCode());
    assertEquals(404, get("/nope").statusCode());
    HttpResponse<String> r = get("/mutate");
    assertEquals(405, r.statusCode());
    assertEquals("POST", r.headers().firstValue("allow").orElse(""));
  }

  @Test
  void oversizedBodyIsRefused() throws Exception {
    byte[] big = new byte[WebhookServer.MAX_BODY_BYTES + 1];
    HttpResponse<String> r = client.send(post("/mutate", big), HttpResponse.BodyHandlers.ofString());
    assertEquals(413, r.statusCode());
  }

  @Test
  void renewedCertificateIsServedToNewConnections() throws Exception {
    TestCertificates renewed = TestCertificates.create(Files.createDirectories(dir.resolve("renewed")));
    // Written the way a Secret volume update lands: new files, newer modification times.
    Instant later = Instant.now().plusSeconds(10);
    Files.copy(renewed.serverCert(), certs.serverCert(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(renewed.serverKey(), certs.serverKey(), StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(certs.serverCert(), FileTime.from(later));
    Files.setLastModifiedTime(certs.serverKey(), FileTime.from(later));

    HttpClient trustsRenewed = client(renewed.caCert());
    assertEquals(200, trustsRenewed.send(HttpRequest.newBuilder(uri("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    HttpClient trustsOld = client(certs.caCert());
    assertThrows(SSLHandshakeException.class,
        () -> trustsOld.send(HttpRequest.newBuilder(uri("/healthz")).build(), HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void closedServerIsNotReachable() throws Exception {
    running.close();
    assertThrows(java.io.IOException.class, () -> get("/healthz"));
    // close() in @AfterEach again must be harmless.
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest post(String path, byte[] body) {
    return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
  }

  private URI uri(String path) {
    return URI.create("https://localhost:" + running.port() + path);
  }

  static HttpClient client(Path caPem) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
  }
}
