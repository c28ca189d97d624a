package io.keyward.keyserver.identity;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Small GETs of JSON documents with timeouts, a size cap, no redirects and optional pinned CAs. */
final class HttpFetcher {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient client;

  HttpFetcher(Optional<Path> caFile) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(CONNECT_TIMEOUT)
            // A redirect could lead to a host we never meant to trust for keys.
            .followRedirects(HttpClient.Redirect.NEVER);
    caFile.ifPresent(file -> builder.sslContext(trusting(file)));
    this.client = builder.build();
  }

  /**
   * GETs {@code url}; fails unless it answers 200 with at most {@link JwksPolicy#MAX_DOCUMENT_CHARS}
   * bytes within {@link #REQUEST_TIMEOUT} in total, so a slow or endless body cannot hold the
   * issuer's load lock.
   */
  String get(URI url) throws IOException {
    if (!SafeUrls.isAllowed(url)) {
      throw new IOException("refusing to fetch keys from " + url + " (https, or http to loopback only)");
    }
    HttpRequest request =
        HttpRequest.newBuilder(url).timeout(REQUEST_TIMEOUT).header("Accept", "application/json").GET().build();
    CompletableFuture<HttpResponse<byte[]>> call =
        client.sendAsync(request, info -> new CappedBodySubscriber(JwksPolicy.MAX_DOCUMENT_CHARS));
    HttpResponse<byte[]> response;
    try {
      response = call.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching " + url);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new IOException("timed out fetching " + url);
    } catch (ExecutionException e) {
      // Library messages stay out of our logs; the exception type says enough (e.g. SSLHandshakeException).
      Throwable cause = e.getCause();
      String why = cause instanceof CappedBodySubscriber.TooLargeException ? cause.getMessage() : cause.getClass().getSimpleName();
      throw new IOException("cannot fetch " + url + " (" + why + ")");
    }
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " from " + url);
    }
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  /** TLS that trusts exactly the CA certificates in a PEM file (e.g. the cluster CA). */
  private static SSLContext trusting(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("caFile " + caFile + " holds no certificate");
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate cert : certs) {
        trust.setCertificateEntry("ca-" + i++, cert);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      return tls;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read caFile " + caFile, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("caFile " + caFile + " is not a PEM list of X.509 certificates", e);
    }
  }
}
