package io.keyward.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away CA and a server certificate for localhost / 127.0.0.1, written as PEM files. */
public final class TestCertificates {
  private final Path caCert;
  private final Path serverCert;
  private final Path serverKey;

  private TestCertificates(Path caCert, Path serverCert, Path serverKey) {
    this.caCert = caCert;
    this.serverCert = serverCert;
    this.serverKey = serverKey;
  }

  /** Writes {@code ca.pem}, {@code server.pem} and {@code server-key.pem} (PKCS#8) into {@code dir}. */
  public static TestCertificates create(Path dir) {
    try {
      KeyPair caKeys = ecKeyPair();
      X500Name caName = new X500Name("CN=Keyward Test CA");
      X509Certificate ca = sign(caName, caName, caKeys, caKeys, true);
      KeyPair serverKeys = ecKeyPair();
      X509Certificate server = sign(caName, new X500Name("CN=localhost"), serverKeys, caKeys, false);
      Path caFile = dir.resolve("ca.pem");
      Path certFile = dir.resolve("server.pem");
      Path keyFile = dir.resolve("server-key.pem");
      Files.writeString(caFile, pem(ca));
      Files.writeString(certFile, pem(server) + pem(ca));
      Files.writeString(keyFile, pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null).generate()));
      return new TestCertificates(caFile, certFile, keyFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException("cannot create test certificates", e);
    }
  }

  public Path caCert() { return caCert; }
  public Path serverCert() { return serverCert; }
  public Path serverKey() { return serverKey; }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X500Name issuer, X500Name subject, KeyPair subjectKeys, KeyPair issuerKeys, boolean ca)
      throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        issuer, new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(30))), subject, subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (ca) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    }
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }
}
