package io.keyward.sdk.aead;

import io.keyward.sdk.format.Header;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Encrypts single messages under one cached DEK, within that DEK's budget of messages and bytes.
 * Thread-safe and lock-free: the budget is two atomic counters, and the message counter is also
 * the nonce, so no two messages under this DEK can share a nonce.
 *
 * <p>Nonce (docs/ciphertext-format.md, "Nonces"): a 32-bit random prefix drawn once per DEK, then
 * the 64-bit big-endian message index. A DEK comes fresh from the keyserver and only this object
 * encrypts with it, so the index alone makes nonces unique; the random prefix keeps the
 * collision probability at most 2^-32 even if, against the design, two encrypters ever shared a
 * DEK.
 */
public final class MessageEncrypter {
  /**
   * Hard cap on messages per DEK whatever the settings say: NIST SP 800-38D limits a GCM key to
   * 2^32 invocations with random-looking nonces, and we hold to that.
   */
  public static final long MAX_MESSAGES_PER_DEK = 1L << 32;

  /**
   * Hard cap on plaintext bytes per DEK: 2^40 bytes = 2^36 AES blocks keeps GCM's confidentiality
   * advantage (about blocks^2 / 2^128) below 2^-56.
   */
  public static final long MAX_BYTES_PER_DEK = 1L << 40;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final DataKey key;
  private final byte[] header;
  private final byte[] aad;
  private final int noncePrefix;
  private final long maxMessages;
  private final long maxBytes;
  private final AtomicLong messages = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  MessageEncrypter(DataKey key, byte[] header, byte[] canonicalContext, long maxMessages,
      long maxBytes, int noncePrefix) {
    if (maxMessages < 1 || maxMessages > MAX_MESSAGES_PER_DEK) {
      throw new IllegalArgumentException(
          "max messages per data key must be 1.." + MAX_MESSAGES_PER_DEK + ", got " + maxMessages);
    }
    if (maxBytes < 1 || maxBytes > MAX_BYTES_PER_DEK) {
      throw new IllegalArgumentException(
          "max bytes per data key must be 1.." + MAX_BYTES_PER_DEK + ", got " + maxBytes);
    }
    this.key = key;
    this.header = header.clone();
    this.aad = Header.associatedData(header, canonicalContext);
    this.noncePrefix = noncePrefix;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  /**
   * Creates an encrypter for a fresh DEK with its header (from {@code Header.encodeMessage}) and
   * canonical context precomputed once.
   */
  public static MessageEncrypter create(DataKey key, byte[] header, byte[] canonicalContext,
      long maxMessages, long maxBytes) {
    return new MessageEncrypter(key, header, canonicalContext, maxMessages, maxBytes,
        RANDOM.nextInt());
  }

  /**
   * Encrypts {@code plaintext} to a complete ciphertext (header, nonce, ciphertext, tag), or
   * returns null when this DEK's message or byte budget is spent: the caller must then retire it
   * and use a fresh DEK. A message larger than the whole byte budget always returns null.
   */
  public byte[] tryEncrypt(byte[] plaintext) {
    long index = tryReserve(plaintext.length);
    if (index < 0) {
      return null;
    }
    byte[] out = new byte[header.length + AesGcm.NONCE_BYTES + plaintext.length + AesGcm.TAG_BYTES];
    System.arraycopy(header, 0, out, 0, header.length);
    int n = header.length;
    out[n] = (byte) (noncePrefix >>> 24);
    out[n + 1] = (byte) (noncePrefix >>> 16);
    out[n + 2] = (byte) (noncePrefix >>> 8);
    out[n + 3] = (byte) noncePrefix;
    for (int i = 0; i < 8; i++) {
      out[n + 4 + i] = (byte) (index >>> (56 - 8 * i));
    }
    AesGcm.seal(key.messageKey(), out, n, aad, aad.length, null, plaintext, 0, plaintext.length,
        out, n + AesGcm.NONCE_BYTES);
    return out;
  }

  /**
   * Takes one message from the budget (and {@code length} bytes) and returns its index, or -1
   * when the budget is spent. Streams take one message each (their segments use a per-stream key,
   * see {@link StreamEncryptingOutputStream}).
   */
  public long tryReserve(long length) {
    if (bytes.get() + length > maxBytes || messages.get() >= maxMessages) {
      return -1; // cheap early-out without burning a counter value
    }
    long index = messages.getAndIncrement();
    if (index >= maxMessages) {
      return -1;
    }
    if (bytes.addAndGet(length) > maxBytes) {
      return -1; // this index is never used; the DEK is retired
    }
    return index;
  }

  /** Messages handed out so far (for tests and metrics). */
  public long messagesUsed() {
    return Math.min(messages.get(), maxMessages);
  }

  @Override
  public String toString() {
    return "MessageEncrypter[messages=" + messagesUsed() + ", key=REDACTED]";
  }
}
