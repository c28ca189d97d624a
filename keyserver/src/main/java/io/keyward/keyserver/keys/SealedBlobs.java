package io.keyward.keyserver.keys;

import io.keyward.keyserver.KeyserverException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keyserver's own sealed format, used for wrapped data keys and server-side ciphertexts:
 *
 * <pre>
 * u8  purpose     0x01 wrapped data key, 0x02 ciphertext
 * u8  n           key name length, 1..128
 * n   key name    ASCII
 * u32 version     big-endian, &ge; 1
 * 16  salt        random
 * 12  nonce       random
 * ..  AES-256-GCM ciphertext || 16-byte tag
 * </pre>
 *
 * The AES key is HKDF-SHA256(version secret, salt, "keyward/v1/" + purpose), fresh per blob, so
 * no (key, nonce) pair repeats however many blobs a version seals. The AAD is every header byte
 * followed by the canonical encryption context: a changed context, key name, version or header
 * byte fails to open.
 */
final class SealedBlobs {
  static final int SALT_LENGTH = 16;
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;
  static final int MAX_CIPHERTEXT_PLAINTEXT = 4096;

  /** The one message for every blob that does not open, whatever the cause. */
  static final String INVALID_BLOB = "wrapped key or ciphertext is malformed or not valid for this key and context";

  private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(SealedBlobs::newCipher);

  enum Purpose {
    DATA_KEY(1, "keyward/v1/dek-wrap"),
    CIPHERTEXT(2, "keyward/v1/ciphertext");

    final byte code;
    final byte[] info;

    Purpose(int code, String info) {
      this.code = (byte) code;
      this.info = info.getBytes(StandardCharsets.US_ASCII);
    }
  }

  /** A parsed, not yet authenticated blob. */
  record Parsed(Purpose purpose, String keyName, int version, byte[] blob, int headerLength) {
    byte[] salt() {
      return Arrays.copyOfRange(blob, headerLength - SALT_LENGTH - NONCE_LENGTH, headerLength - NONCE_LENGTH);
    }
  }

  private SealedBlobs() {}

  static byte[] seal(
      VersionSecret secret, Purpose purpose, String keyName, int version, byte[] plaintext, byte[] canonicalContext) {
    byte[] name = keyName.getBytes(StandardCharsets.US_ASCII);
    int headerLength = 2 + name.length + 4 + SALT_LENGTH + NONCE_LENGTH;
    byte[] out = new byte[headerLength + plaintext.length + TAG_LENGTH];
    ByteBuffer header = ByteBuffer.wrap(out);
    header.put(purpose.code).put((byte) name.length).put(name).putInt(version);
    byte[] saltAndNonce = new byte[SALT_LENGTH + NONCE_LENGTH];
    Randomness.fill(saltAndNonce);
    header.put(saltAndNonce);
    try {
      Cipher cipher = GCM.get();
      cipher.init(
          Cipher.ENCRYPT_MODE,
          deriveKey(secret, Arrays.copyOf(saltAndNonce, SALT_LENGTH), purpose),
          new GCMParameterSpec(TAG_LENGTH * 8, saltAndNonce, SALT_LENGTH, NONCE_LENGTH));
      cipher.updateAAD(out, 0, headerLength);
      cipher.updateAAD(canonicalContext);
      cipher.doFinal(plaintext, 0, plaintext.length, out, headerLength);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** Checks structure and bounds before anything else; never allocates from a length field. */
  static Parsed parse(byte[] blob, Purpose expected) {
    int minimum = 2 + 1 + 4 + SALT_LENGTH + NONCE_LENGTH + TAG_LENGTH;
    if (blob == null || blob.length < minimum || blob[0] != expected.code) {
      throw KeyserverException.invalid(INVALID_BLOB);
    }
    int nameLength = blob[1] & 0xFF;
    int headerLength = 2 + nameLength + 4 + SALT_LENGTH + NONCE_LENGTH;
    int bodyLength = blob.length - headerLength;
    int maxBody = expected == Purpose.DATA_KEY ? 32 + TAG_LENGTH : MAX_CIPHERTEXT_PLAINTEXT + TAG_LENGTH;
    int minBody = expected == Purpose.DATA_KEY ? 32 + TAG_LENGTH : TAG_LENGTH;
    if (nameLength == 0 || nameLength > KeyNames.MAX_LENGTH || bodyLength < minBody || bodyLength > maxBody) {
      throw KeyserverException.invalid(INVALID_BLOB);
    }
    String keyName = new String(blob, 2, nameLength, StandardCharsets.US_ASCII);
    int version = ByteBuffer.wrap(blob, 2 + nameLength, 4).getInt();
    if (!KeyNames.isValid(keyName) || version < 1) {
      throw KeyserverException.invalid(INVALID_BLOB);
    }
    return new Parsed(expected, keyName, version, blob, headerLength);
  }

  /** Authenticates and decrypts; any failure is the same {@link #INVALID_BLOB}. */
  static byte[] open(VersionSecret secret, Parsed parsed, byte[] canonicalContext) {
    byte[] blob = parsed.blob();
    int headerLength = parsed.headerLength();
    try {
      Cipher cipher = GCM.get();
      cipher.init(
          Cipher.DECRYPT_MODE,
          deriveKey(secret, parsed.salt(), parsed.purpose()),
          new GCMParameterSpec(TAG_LENGTH * 8, blob, headerLength - NONCE_LENGTH, NONCE_LENGTH));
      cipher.updateAAD(blob, 0, headerLength);
      cipher.updateAAD(canonicalContext);
      return cipher.doFinal(blob, headerLength, blob.length - headerLength);
    } catch (GeneralSecurityException e) {
      throw KeyserverException.invalid(INVALID_BLOB);
    }
  }

  private static SecretKeySpec deriveKey(VersionSecret secret, byte[] salt, Purpose purpose) {
    byte[] key = HkdfSha256.derive(secret.insecureBytes(), salt, purpose.info, 32);
    SecretKeySpec spec = new SecretKeySpec(key, "AES");
    Arrays.fill(key, (byte) 0);
    return spec;
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }
}
