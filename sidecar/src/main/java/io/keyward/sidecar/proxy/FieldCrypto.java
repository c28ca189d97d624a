package io.keyward.sidecar.proxy;

import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.TextForm;
import java.util.Map;
import java.util.Objects;

/**
 * The encryption the proxy needs for one JSON field at a time. Implementations are thread-safe and
 * may block (a keyserver call); the proxy calls them off its event loops. Failures are {@link
 * io.keyward.sdk.KeywardException} subclasses, whose messages hold no secret.
 */
public interface FieldCrypto {
  /**
   * Encrypts {@code plaintext} under {@code keyName}, bound to {@code context}, in the text form.
   * Same guarantee as {@link KeywardClient#encryptToText(String, byte[], Map)}.
   */
  String encryptToText(String keyName, byte[] plaintext, Map<String, String> context);

  /**
   * Verifies and decrypts a text-form ciphertext; returns nothing unless the ciphertext and
   * {@code context} verify. Same guarantee as {@link KeywardClient#decryptText(String, Map)}.
   */
  byte[] decryptText(String ciphertext, Map<String, String> context);

  /** Whether {@code value} has the shape of a text-form ciphertext (says nothing of authenticity). */
  boolean looksLikeCiphertext(String value);

  /** Adapts the SDK client; the proxy does not close it. */
  static FieldCrypto of(KeywardClient client) {
    Objects.requireNonNull(client, "client");
    return new FieldCrypto() {
      @Override
      public String encryptToText(String keyName, byte[] plaintext, Map<String, String> context) {
        return client.encryptToText(keyName, plaintext, context);
      }

      @Override
      public byte[] decryptText(String ciphertext, Map<String, String> context) {
        return client.decryptText(ciphertext, context);
      }

      @Override
      public boolean looksLikeCiphertext(String value) {
        return TextForm.looksLikeCiphertext(value);
      }

      @Override
      public String toString() {
        return "FieldCrypto.of(" + client + ")";
      }
    };
  }
}
