package io.keyward.keyserver.rootkey;

import io.keyward.keyserver.store.KeyStore;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * A root key derived from an operator's passphrase with Argon2id (BouncyCastle).
 *
 * <p>Parameters for a new store: 64 MiB memory, 3 passes, 1 lane (RFC 9106's second recommended
 * setting, with one lane because BouncyCastle computes lanes on one thread), a 16-byte random salt.
 * Measured here: about 220 ms per derivation in a warm JVM, about 500 ms for the first one at
 * start-up. The salt and parameters are stored in the key store's metadata ({@value #KDF_METADATA},
 * text {@code argon2id$v=19$m=65536,t=3,p=1$<salt base64>}) so that the same passphrase re-derives
 * the same key on every start; later stores may use stronger parameters.
 *
 * <p>The passphrase is never logged or kept: it is wiped after derivation where this class owns the
 * buffer.
 */
public final class PassphraseRootKey implements RootKey {
  static final String KDF_METADATA = "rootkey.passphrase.kdf";
  static final int MIN_PASSPHRASE_CHARS = 12;
  private static final int MAX_PASSPHRASE_FILE_BYTES = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final AesGcmKey key;
  private final KdfParameters parameters;

  private PassphraseRootKey(AesGcmKey key, KdfParameters parameters) {
    this.key = key;
    this.parameters = parameters;
  }

  /**
   * Derives the root key from the passphrase in environment variable {@code variable}, with the
   * salt and parameters stored in {@code store} (created on first use).
   *
   * @throws RootKeyException when the variable is unset, empty or too short, or the stored
   *     parameters are malformed
   */
  public static PassphraseRootKey fromEnvironment(String variable, KeyStore store)
      throws RootKeyException {
    String value = System.getenv(Objects.requireNonNull(variable, "variable"));
    if (value == null || value.isEmpty()) {
      throw new RootKeyException(
          "environment variable " + variable + " (root key passphrase) is not set or empty");
    }
    char[] passphrase = value.toCharArray();
    try {
      return derive(passphrase, store);
    } finally {
      Arrays.fill(passphrase, '\0');
    }
  }

  /**
   * Derives the root key from the passphrase in {@code file} (UTF-8; one trailing newline is
   * ignored). The file must not be accessible by other users (see {@link SecretFiles}).
   */
  public static PassphraseRootKey fromFile(Path file, KeyStore store) throws RootKeyException {
    byte[] bytes = SecretFiles.read(file, "passphrase file", 1, MAX_PASSPHRASE_FILE_BYTES);
    char[] chars = null;
    try {
      CharBuffer decoded =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      chars = new char[decoded.remaining()];
      decoded.get(chars);
      Arrays.fill(decoded.array(), '\0');
      int end = chars.length;
      if (end > 0 && chars[end - 1] == '\n') {
        end--;
        if (end > 0 && chars[end - 1] == '\r') {
          end--;
        }
      }
      char[] passphrase = Arrays.copyOf(chars, end);
      try {
        return derive(passphrase, store);
      } finally {
        Arrays.fill(passphrase, '\0');
      }
    } catch (CharacterCodingException e) {
      throw new RootKeyException("passphrase file " + file + " is not valid UTF-8");
    } finally {
      Arrays.fill(bytes, (byte) 0);
      if (chars != null) {
        Arrays.fill(chars, '\0');
      }
    }
  }

  /**
   * Derives the root key from {@code passphrase} (not modified; the caller should wipe it) with the
   * salt and parameters stored in {@code store}, storing fresh ones on first use.
   */
  public static PassphraseRootKey derive(char[] passphrase, KeyStore store)
      throws RootKeyException {
    Objects.requireNonNull(passphrase, "passphrase");
    Objects.requireNonNull(store, "store");
    if (passphrase.length < MIN_PASSPHRASE_CHARS) {
      throw new RootKeyException(
          "the root key passphrase must be at least " + MIN_PASSPHRASE_CHARS + " characters");
    }
    Optional<byte[]> stored = store.metadata(KDF_METADATA);
    KdfParameters parameters;
    if (stored.isPresent()) {
      parameters = KdfParameters.parse(stored.get());
    } else {
      byte[] salt = new byte[16];
      RANDOM.nextBytes(salt);
      parameters = new KdfParameters(65_536, 3, 1, salt);
      store.putMetadata(KDF_METADATA, parameters.encode());
    }
    byte[] material = parameters.derive(passphrase);
    try {
      return new PassphraseRootKey(new AesGcmKey(material), parameters);
    } finally {
      Arrays.fill(material, (byte) 0);
    }
  }

  /** The key's fingerprint (16 hex digits of an HMAC under the key); not secret. */
  @Override
  public String id() {
    return key.id();
  }

  /** AES-256-GCM with a fresh random nonce; the result opens only with this key and {@code aad}. */
  @Override
  public byte[] wrap(byte[] plaintext, byte[] aad) {
    return key.wrap(plaintext, aad);
  }

  /**
   * @throws RootKeyException when {@code wrapped} was not made by this key with this {@code aad},
   *     or was changed
   */
  @Override
  public byte[] unwrap(byte[] wrapped, byte[] aad) throws RootKeyException {
    return key.unwrap(wrapped, aad);
  }

  /** Stops further use (later calls fail with UNAVAILABLE). */
  @Override
  public void close() {
    key.close();
  }

  @Override
  public String toString() {
    return "PassphraseRootKey[id="
        + key.id()
        + ", argon2id m="
        + parameters.memoryKib
        + "KiB t="
        + parameters.iterations
        + " p="
        + parameters.parallelism
        + "]";
  }

  /** Argon2id parameters and salt, as stored beside the keys. Bounded when parsed. */
  static final class KdfParameters {
    private static final Pattern FORMAT =
        Pattern.compile(
            "argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/=]{1,128})");

    final int memoryKib;
    final int iterations;
    final int parallelism;
    private final byte[] salt;

    KdfParameters(int memoryKib, int iterations, int parallelism, byte[] salt) {
      this.memoryKib = memoryKib;
      this.iterations = iterations;
      this.parallelism = parallelism;
      this.salt = salt.clone();
    }

    static KdfParameters parse(byte[] stored) throws RootKeyException {
      Matcher m = FORMAT.matcher(new String(stored, StandardCharsets.US_ASCII));
      if (!m.matches()) {
        throw new RootKeyException("the stored root key passphrase parameters are malformed");
      }
      int memory = Integer.parseInt(m.group(1));
      int iterations = Integer.parseInt(m.group(2));
      int parallelism = Integer.parseInt(m.group(3));
      byte[] salt;
      try {
        salt = Base64.getDecoder().decode(m.group(4));
      } catch (IllegalArgumentException e) {
        throw new RootKeyException("the stored root key passphrase salt is malformed");
      }
      // Bounds keep a tampered store from making start-up allocate or spin without limit.
      if (memory < 8 * 1024
          || memory > 1024 * 1024
          || iterations < 1
          || iterations > 20
          || parallelism < 1
          || parallelism > 16
          || salt.length < 16
          || salt.length > 64) {
        throw new RootKeyException("the stored root key passphrase parameters are out of range");
      }
      return new KdfParameters(memory, iterations, parallelism, salt);
    }

    byte[] encode() {
      return ("argon2id$v=19$m="
              + memoryKib
              + ",t="
              + iterations
              + ",p="
              + parallelism
              + "$"
              + Base64.getEncoder().encodeToString(salt))
          .getBytes(StandardCharsets.US_ASCII);
    }

    byte[] derive(char[] passphrase) throws RootKeyException {
      Argon2BytesGenerator generator = new Argon2BytesGenerator();
      generator.init(
          new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
              .withVersion(Argon2Parameters.ARGON2_VERSION_13)
              .withMemoryAsKB(memoryKib)
              .withIterations(iterations)
              .withParallelism(parallelism)
              .withSalt(salt)
              .build());
      // Encode to UTF-8 ourselves so that the encoded copy can be wiped.
      ByteBuffer encoded;
      try {
        encoded =
            StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .encode(CharBuffer.wrap(passphrase));
      } catch (CharacterCodingException e) {
        throw new RootKeyException("the root key passphrase is not valid Unicode text");
      }
      byte[] password = new byte[encoded.remaining()];
      encoded.get(password);
      Arrays.fill(encoded.array(), (byte) 0);
      byte[] out = new byte[AesGcmKey.KEY_BYTES];
      try {
        generator.generateBytes(password, out);
      } finally {
        Arrays.fill(password, (byte) 0);
      }
      return out;
    }
  }
}
