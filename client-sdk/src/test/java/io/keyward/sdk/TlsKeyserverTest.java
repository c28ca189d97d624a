package io.keyward.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real transport: Netty, TLS with a CA file, a bearer token, against the fake keyserver. */
class TlsKeyserverTest {
  @TempDir Path dir;
  private Server server;
  private Path caFile;
  private final FakeKeyserver fake = new FakeKeyserver();

  @BeforeEach
  void startTlsServer() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=keyward test keyserver");
    X509CertificateHolder cert = new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofHours(1))), name,
        pair.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")))
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
    caFile = dir.resolve("ca.pem");
    Path keyFile = dir.resolve("key.pem");
    try (Writer w = Files.newBufferedWriter(caFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(cert);
    }
    try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null));
    }
    fake.createKey(InProcessKeyserver.KEY);
    server = Grpc.newServerBuilderForPort(0,
            TlsServerCredentials.create(caFile.toFile(), keyFile.toFile()))
        .addService(ServerInterceptors.intercept(fake,
            InProcessKeyserver.requireBearer(() -> InProcessKeyserver.TOKEN)))
        .build()
        .start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private KeywardSettings.Builder settings() {
    return KeywardSettings.builder()
        .keyserverAddress("localhost:" + server.getPort())
        .tokenSource(TokenSources.fixed(InProcessKeyserver.TOKEN))
        .defaultKeyName(InProcessKeyserver.KEY)
        .callDeadline(Duration.ofSeconds(10));
  }

  @Test
  void encryptsAndDecryptsOverTlsTrustingTheCaFile() {
    try (KeywardClient client = KeywardClient.create(settings().trustedCaFile(caFile).build())) {
      byte[] ct = client.encrypt(new byte[] {1, 2, 3}, Map.of("tenant", "acme"));
      try (KeywardClient other = KeywardClient.create(settings().trustedCaFile(caFile).build())) {
        assertArrayEquals(new byte[] {1, 2, 3}, other.decrypt(ct, Map.of("tenant", "acme")));
      }
    }
  }

  @Test
  void anUntrustedCertificateIsUnavailableNotIgnored() {
    try (KeywardClient client = KeywardClient.create(settings().build())) { // JDK trust store
      assertThrows(KeyserverUnavailableException.class,
          () -> client.encrypt(new byte[1], Map.of()));
    }
  }

  @Test
  void plaintextAgainstTlsFails() {
    try (KeywardClient client =
        KeywardClient.create(settings().insecurePlaintextForDevelopment().build())) {
      assertThrows(KeyserverUnavailableException.class,
          () -> client.encrypt(new byte[1], Map.of()));
    }
  }

  @Test
  void theTokenIsNotSentOverAPlaintextChannelUnlessAllowed() throws Exception {
    Server plain = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(fake,
            InProcessKeyserver.requireBearer(() -> InProcessKeyserver.TOKEN)))
        .build()
        .start();
    ManagedChannel channel = Grpc.newChannelBuilder(
        "localhost:" + plain.getPort(), InsecureChannelCredentials.create()).build();
    try (KeywardClient strict = KeywardClient.create(settings().build(), channel);
        KeywardClient dev = KeywardClient.create(
            settings().insecurePlaintextForDevelopment().build(), channel)) {
      assertThrows(NotAuthenticatedException.class, () -> strict.encrypt(new byte[1], Map.of()));
      assertEquals(0, fake.generateCalls.get());
      assertArrayEquals(new byte[1], dev.decrypt(dev.encrypt(new byte[1], Map.of()), Map.of()));
    } finally {
      channel.shutdownNow();
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
