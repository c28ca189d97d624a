package io.keyward.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyward.sdk.KeyVersionUnusableException;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.TextForm;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyward encrypt|decrypt}: quick use from a shell, via the keyserver (SDK) or a sidecar. */
final class CryptCommands {
  /** Single messages only: larger data belongs in the SDK's streams. */
  static final int MAX_INPUT_BYTES = 64 << 20;

  private CryptCommands() {}

  abstract static class CryptVerb extends Verb {
    @Option(names = "--context", paramLabel = "KEY=VALUE", description = "Encryption context entry (repeatable).")
    Map<String, String> context = new LinkedHashMap<>();

    @Option(names = "--sidecar-url", paramLabel = "URL",
        description = "Go through a sidecar's HTTP API (e.g. $KEYWARD_SIDECAR_URL) instead of the keyserver.")
    URI sidecarUrl;

    final byte[] readInput() throws IOException {
      InputStream in = root().context.in();
      byte[] data = in.readNBytes(MAX_INPUT_BYTES + 1);
      if (data.length > MAX_INPUT_BYTES) {
        throw CliException.usage("input is larger than 64 MiB; use the SDK's streaming API");
      }
      return data;
    }

    final JsonNode postToSidecar(String path, Map<String, Object> body) throws IOException, InterruptedException {
      HttpClient http = HttpClient.newBuilder().connectTimeout(global().timeout()).build();
      HttpRequest request = HttpRequest.newBuilder(sidecarUrl.resolve(path))
          .timeout(global().timeout())
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(Output.JSON.writeValueAsBytes(body)))
          .build();
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      JsonNode json;
      try {
        json = Output.JSON.readTree(response.body());
      } catch (IOException e) {
        json = null;
      }
      if (response.statusCode() != 200) {
        // docs/sidecar.md: {"error": {"code": "...", "message": "..."}}
        JsonNode error = json == null ? null : json.get("error");
        String detail = error != null && error.hasNonNull("message")
            ? error.path("code").asText("error") + ": " + error.get("message").asText()
            : "HTTP " + response.statusCode();
        throw new CliException(httpExitCode(response.statusCode()), "sidecar: " + detail);
      }
      if (json == null) {
        throw new CliException(ExitCodes.FAILED, "sidecar: response is not JSON");
      }
      return json;
    }

    static int httpExitCode(int status) {
      return switch (status) {
        case 400, 405, 413, 415 -> ExitCodes.USAGE;
        case 401, 403 -> ExitCodes.NOT_AUTHORIZED;
        case 404 -> ExitCodes.NOT_FOUND;
        case 409, 412 -> ExitCodes.FAILED_PRECONDITION;
        case 422 -> ExitCodes.FAILED; // decryption_failed, as on the keyserver path
        case 502, 503, 504 -> ExitCodes.UNAVAILABLE;
        default -> ExitCodes.FAILED;
      };
    }
  }

  @Command(name = "encrypt", description = {
      "Encrypt stdin and print the text-form ciphertext (kw1....) on stdout."},
      footerHeading = "%nExamples:%n",
      footer = {"  echo -n 'card 4111' | keyward encrypt --key default --context app=shop",
          "  echo -n hi | keyward encrypt --sidecar-url \"$KEYWARD_SIDECAR_URL\""})
  static final class Encrypt extends CryptVerb {
    @Option(names = "--key", paramLabel = "NAME", description = "Key name (default: default).")
    String key = "default";

    @Override
    int run() throws Exception {
      byte[] plaintext = readInput();
      try {
        String text;
        if (sidecarUrl != null) {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("key", key);
          body.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
          body.put("context", context);
          text = postToSidecar("/v1/encrypt", body).path("ciphertext").asText();
        } else {
          try (KeyserverConnection ks = KeyserverConnection.open(global()); KeywardClient client = ks.client()) {
            text = client.encryptToText(key, plaintext, context);
          }
        }
        out().println(text);
        return ExitCodes.OK;
      } finally {
        Arrays.fill(plaintext, (byte) 0);
      }
    }
  }

  @Command(name = "decrypt", description = {
      "Decrypt a text-form ciphertext from stdin and write the plaintext bytes to stdout."},
      footerHeading = "%nExample:%n",
      footer = "  keyward decrypt --context app=shop < card.kw1")
  static final class Decrypt extends CryptVerb {
    @Override
    int run() throws Exception {
      String text = new String(readInput(), StandardCharsets.US_ASCII).trim();
      byte[] plaintext;
      if (sidecarUrl != null) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ciphertext", text);
        body.put("context", context);
        plaintext = Base64.getDecoder().decode(postToSidecar("/v1/decrypt", body).path("plaintext").asText());
      } else {
        byte[] binary = TextForm.decode(text);
        try (KeyserverConnection ks = KeyserverConnection.open(global()); KeywardClient client = ks.client()) {
          try {
            plaintext = client.decrypt(binary, context);
          } catch (KeyVersionUnusableException e) {
            throw new CliException(ExitCodes.FAILED_PRECONDITION, VersionDiagnosis.explain(ks, binary, e));
          }
        }
      }
      try {
        out().write(plaintext);
        out().flush();
      } finally {
        Arrays.fill(plaintext, (byte) 0);
      }
      return ExitCodes.OK;
    }
  }
}
