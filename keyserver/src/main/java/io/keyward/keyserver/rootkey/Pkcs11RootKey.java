package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.ErrorCode;
import io.keyward.keyserver.KeyserverException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A root key that never leaves a hardware security module: an AES-256 secret key on a PKCS#11
 * token, found by label, used through the JDK's SunPKCS11 provider. Wrapping is AES-256-GCM
 * computed by the HSM (CKM_AES_GCM) with a fresh random 96-bit nonce; the format is the one the
 * file and passphrase keys use (version byte {@code 0x01} | nonce | ciphertext and tag), so a
 * secret wrapped here is indistinguishable in shape from any other.
 *
 * <p>The id is {@code p11-} and 16 hex digits of the key check value (AES of a fixed block under
 * the key, computed by the HSM): it names the key, not the label, so a different key under the
 * same label is caught by the root-key check.
 */
public final class Pkcs11RootKey implements RootKey {
  private static final byte FORMAT_V1 = 0x01;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final int MIN_WRAPPED = 1 + NONCE_BYTES + TAG_BITS / 8;
  private static final byte[] ID_BLOCK =
      "keyward root id\0".getBytes(StandardCharsets.US_ASCII); // one 16-byte AES block
  private static final SecureRandom RANDOM = new SecureRandom();
  /** One provider per configuration file: each instance initializes the PKCS#11 library. */
  private static final Map<Path, Provider> PROVIDERS = new ConcurrentHashMap<>();

  private final Provider provider;
  private final SecretKey key;
  private final String label;
  private final String id;
  private volatile boolean closed;

  private Pkcs11RootKey(Provider provider, SecretKey key, String label) throws RootKeyException {
    this.provider = provider;
    this.key = key;
    this.label = label;
    this.id = checkValueId(provider, key);
  }

  /**
   * Logs in to the token that {@code sunPkcs11Config} (a SunPKCS11 configuration file: library,
   * slot) names and finds the AES key labelled {@code keyLabel}. The PIN is used for the login
   * only; the caller should wipe its array.
   *
   * @throws RootKeyException when the provider or token cannot be used, the PIN is refused, or no
   *     AES secret key has that label; the message never contains the PIN
   */
  public static Pkcs11RootKey open(Path sunPkcs11Config, String keyLabel, char[] pin)
      throws RootKeyException {
    Objects.requireNonNull(keyLabel, "keyLabel");
    Provider provider = provider(sunPkcs11Config);
    KeyStore token = login(provider, pin);
    try {
      Key key = token.getKey(keyLabel, null);
      if (!(key instanceof SecretKey secret) || !"AES".equalsIgnoreCase(key.getAlgorithm())) {
        throw new RootKeyException(
            "the PKCS#11 token has no AES secret key labelled '" + keyLabel + "'");
      }
      return new Pkcs11RootKey(provider, secret, keyLabel);
    } catch (GeneralSecurityException e) {
      throw new RootKeyException("cannot read key '" + keyLabel + "' from the PKCS#11 token", e);
    }
  }

  /**
   * Generates a new AES-256 key inside the HSM and stores it on the token under {@code keyLabel}
   * (a token object: it survives restarts). Refuses a label that is already taken: an existing root
   * key is never replaced.
   *
   * @throws RootKeyException when the label exists or the token refuses
   */
  public static Pkcs11RootKey generate(Path sunPkcs11Config, String keyLabel, char[] pin)
      throws RootKeyException {
    Objects.requireNonNull(keyLabel, "keyLabel");
    Provider provider = provider(sunPkcs11Config);
    KeyStore token = login(provider, pin);
    try {
      if (token.containsAlias(keyLabel)) {
        throw new RootKeyException("the PKCS#11 token already has a key labelled '" + keyLabel + "'");
      }
      KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
      generator.init(256);
      token.setEntry(keyLabel, new KeyStore.SecretKeyEntry(generator.generateKey()), null);
    } catch (GeneralSecurityException e) {
      throw new RootKeyException("cannot create key '" + keyLabel + "' on the PKCS#11 token", e);
    }
    return open(sunPkcs11Config, keyLabel, pin);
  }

  private static Provider provider(Path config) throws RootKeyException {
    Objects.requireNonNull(config, "sunPkcs11Config");
    Path normalized = config.toAbsolutePath().normalize();
    try {
      return PROVIDERS.computeIfAbsent(
          normalized,
          p -> {
            Provider base = Security.getProvider("SunPKCS11");
            if (base == null) {
              throw new IllegalStateException("this JDK has no SunPKCS11 provider");
            }
            return base.configure(p.toString());
          });
    } catch (RuntimeException e) {
      throw new RootKeyException("cannot load the PKCS#11 provider configured in " + normalized, e);
    }
  }

  private static KeyStore login(Provider provider, char[] pin) throws RootKeyException {
    Objects.requireNonNull(pin, "pin");
    try {
      KeyStore token = KeyStore.getInstance("PKCS11", provider);
      token.load(null, pin);
      return token;
    } catch (IOException | GeneralSecurityException e) {
      // The cause names the PKCS#11 error (e.g. CKR_PIN_INCORRECT), never the PIN.
      throw new RootKeyException("cannot log in to the PKCS#11 token", e);
    }
  }

  private static String checkValueId(Provider provider, SecretKey key) throws RootKeyException {
    try {
      Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding", provider);
      ecb.init(Cipher.ENCRYPT_MODE, key);
      byte[] kcv = ecb.doFinal(ID_BLOCK);
      return "p11-" + HexFormat.of().formatHex(kcv, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new RootKeyException("the PKCS#11 key cannot compute its check value", e);
    }
  }

  /** {@code p11-} and the key check value (see the class comment); not secret. */
  @Override
  public String id() {
    return id;
  }

  /** AES-256-GCM in the HSM with a fresh random nonce, bound to {@code aad}. */
  @Override
  public byte[] wrap(byte[] plaintext, byte[] aad) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(aad, "aad");
    checkOpen();
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      byte[] sealed = cipher.doFinal(plaintext);
      return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length)
          .put(FORMAT_V1).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, "HSM root key unavailable", e);
    }
  }

  /**
   * @throws RootKeyException when {@code wrapped} was not made by this key with this {@code aad},
   *     or was changed
   */
  @Override
  public byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(aad, "aad");
    checkOpen();
    if (wrapped.length < MIN_WRAPPED || wrapped[0] != FORMAT_V1) {
      throw new RootKeyException("wrapped value is malformed");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
      cipher.init(
          Cipher.DECRYPT_MODE,
          key,
          new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(wrapped, 1, 1 + NONCE_BYTES)));
      cipher.updateAAD(aad);
      return cipher.doFinal(wrapped, 1 + NONCE_BYTES, wrapped.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new RootKeyException(
          "wrapped value does not open under root key " + id + " (other key, other context, or tampered)",
          e);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new RootKeyException("wrapped value cannot be opened by the HSM", e);
    }
  }

  /** Stops further use; the key stays on the token. */
  @Override
  public void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new KeyserverException(ErrorCode.UNAVAILABLE, "root key is closed");
    }
  }

  @Override
  public String toString() {
    return "Pkcs11RootKey[id=" + id + ", label=" + label + ", provider=" + provider.getName() + "]";
  }
}
