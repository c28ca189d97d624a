package io.keyward.sdk;

import com.github.benmanes.caffeine.cache.Ticker;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.keyward.sdk.aead.DataKey;
import io.keyward.sdk.aead.MessageEncrypter;
import io.keyward.sdk.aead.MessageOpener;
import io.keyward.sdk.aead.StreamDecryptingInputStream;
import io.keyward.sdk.aead.StreamEncryptingOutputStream;
import io.keyward.sdk.cache.CoarseTicker;
import io.keyward.sdk.cache.DecryptionKeyCache;
import io.keyward.sdk.cache.EncryptionKeyCache;
import io.keyward.sdk.format.CanonicalContext;
import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envelope encryption with Keyward: AES-256-GCM under data keys that the keyserver issues and
 * wraps, cached within bounded age, message and byte limits. Thread-safe; create one per process
 * and close it on shutdown.
 *
 * <p>Every ciphertext is bound to its encryption context: decryption succeeds only with a context
 * equal (as a map) to the one given at encryption, and only for a caller the keyserver allows to
 * unwrap the data key. The context is authenticated, not encrypted: do not put secrets in it.
 * Ciphertexts carry everything needed to decrypt them except the key, and follow
 * docs/ciphertext-format.md.
 */
public final class KeywardClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeywardClient.class);

  private final KeywardSettings settings;
  private final KeyserverStub keyserver;
  private final ManagedChannel ownedChannel;
  private final ExecutorService ownedExecutor;
  private final Executor executor;
  private final EncryptionKeyCache<EncryptKey, EncryptionMaterial> encryptCache;
  private final DecryptionKeyCache<DecryptKey, DataKey> decryptCache;
  private final LongAdder encryptLookups = new LongAdder();
  private final LongAdder encryptLoads = new LongAdder();
  private final LongAdder decryptLookups = new LongAdder();
  private final LongAdder decryptLoads = new LongAdder();
  private final Ticker ticker;
  // For the memos below: a cheap reading that is never later than the true time minus the
  // margin, so that "hotNow() < limit" implies "ticker.read() < limit" (see CoarseTicker).
  private final LongSupplier hotNow;
  // Per-thread memos of the last data key used, so that the steady state of one key and context
  // per thread skips hashing, canonicalising and the shared cache. Each is bounded by its cache's
  // rules: same age limit, void after close(), and the encrypter still counts its budget.
  private final ThreadLocal<EncryptMemo> encryptMemo = new ThreadLocal<>();
  private final ThreadLocal<DecryptMemo> decryptMemo = new ThreadLocal<>();

  private static final class EncryptMemo {
    final String keyName;
    final Map<String, String> context;
    final EncryptionMaterial material;
    final long generation;

    EncryptMemo(String keyName, Map<String, String> context, EncryptionMaterial material,
        long generation) {
      this.keyName = keyName;
      this.context = context;
      this.material = material;
      this.generation = generation;
    }
  }

  /**
   * The last header this thread decrypted, checked against its data key, with the context it was
   * opened with. A ciphertext with the same header bytes (so the same key name, version, wrapped
   * DEK and commitment) and an equal context needs none of the cache's work.
   */
  private static final class DecryptMemo {
    final MessageOpener opener;
    final Map<String, String> context;
    final long freshUntil;
    final long generation;

    DecryptMemo(MessageOpener opener, Map<String, String> context, long freshUntil,
        long generation) {
      this.opener = opener;
      this.context = context;
      this.freshUntil = freshUntil;
      this.generation = generation;
    }

    /** Still fresh, no close() since, and a context map equal to the remembered one. */
    boolean covers(Map<String, String> context, long now, long currentGeneration) {
      return generation == currentGeneration && now - freshUntil < 0
          && this.context.equals(context);
    }
  }

  private KeywardClient(KeywardSettings settings, Channel channel, ManagedChannel ownedChannel) {
    this.settings = settings;
    this.ownedChannel = ownedChannel;
    this.keyserver = new KeyserverStub(channel, settings.tokenSource(), settings.callDeadline(),
        settings.insecurePlaintext());
    this.ticker = settings.clock().map(KeywardClient::tickerOf).orElse(Ticker.systemTicker());
    this.hotNow = settings.clock().isPresent()
        ? ticker::read // a test's clock: exact
        : () -> CoarseTicker.read() + CoarseTicker.RESOLUTION_NANOS;
    this.encryptCache = new EncryptionKeyCache<>(
        settings.dataKeyMaxAge(), settings.maxCachedDataKeys(), ticker);
    this.decryptCache = new DecryptionKeyCache<>(settings.decryptKeyMaxAge(),
        settings.decryptGracePeriod(), settings.maxCachedDataKeys(), ticker);
    if (settings.asyncExecutor().isPresent()) {
      this.ownedExecutor = null;
      this.executor = settings.asyncExecutor().get();
    } else {
      this.ownedExecutor = newDaemonPool();
      this.executor = ownedExecutor;
    }
  }

  /**
   * Connects to {@code settings.keyserverAddress()} over TLS (trusting the configured CA file, or
   * the JDK's trust store), or in plaintext when the settings say so for development.
   *
   * @throws IllegalArgumentException when the settings name no keyserver address or the CA file
   *     cannot be read
   */
  public static KeywardClient create(KeywardSettings settings) {
    String target = settings.keyserverAddress().orElseThrow(() ->
        new IllegalArgumentException("settings name no keyserver address"));
    ChannelCredentials credentials;
    if (settings.insecurePlaintext()) {
      credentials = InsecureChannelCredentials.create();
    } else if (settings.trustedCaFile().isPresent()) {
      try {
        credentials = TlsChannelCredentials.newBuilder()
            .trustManager(settings.trustedCaFile().get().toFile())
            .build();
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot load trusted CA file " + settings.trustedCaFile().get(), e);
      }
    } else {
      credentials = TlsChannelCredentials.create();
    }
    ManagedChannel channel;
    try {
      channel = Grpc.newChannelBuilder(target, credentials).build();
    } catch (RuntimeException e) {
      // e.g. a CA file without a usable certificate: gRPC finds no provider that accepts it.
      throw new IllegalArgumentException("cannot set up a channel to " + target
          + settings.trustedCaFile().map(f -> " trusting " + f).orElse(""), e);
    }
    return new KeywardClient(settings, channel, channel);
  }

  /**
   * Uses a channel the caller manages (an in-process channel in tests, a shared channel in a
   * sidecar). The address and TLS settings are ignored; {@link #close()} leaves the channel open.
   */
  public static KeywardClient create(KeywardSettings settings, Channel channel) {
    return new KeywardClient(settings, Objects.requireNonNull(channel, "channel"), null);
  }

  /** {@link #encrypt(String, byte[], Map)} under the default key name. */
  public byte[] encrypt(byte[] plaintext, Map<String, String> context) {
    return encrypt(defaultKeyName(), plaintext, context);
  }

  /**
   * Encrypts {@code plaintext} under a data key of {@code keyName}, bound to {@code context}.
   *
   * <p>Guarantee: confidentiality and integrity of the plaintext (AES-256-GCM), integrity of the
   * context, key name and version, and key commitment (the ciphertext decrypts under one data
   * key only). Nonces are never repeated under a data key, and a data key encrypts no more than
   * the configured messages and bytes, never more than 2^32 messages.
   *
   * @throws IllegalArgumentException for a null plaintext, an invalid key name or context, or a
   *     plaintext larger than the per-data-key byte limit (use a stream)
   * @throws KeywardException when no cached data key fits and the keyserver refuses or cannot be
   *     reached
   */
  public byte[] encrypt(String keyName, byte[] plaintext, Map<String, String> context) {
    Objects.requireNonNull(plaintext, "plaintext must not be null");
    if (plaintext.length > settings.dataKeyMaxBytes()) {
      throw new IllegalArgumentException("plaintext of " + plaintext.length
          + " bytes exceeds the data key max-bytes " + settings.dataKeyMaxBytes()
          + "; use encryptingStream");
    }
    encryptLookups.increment();
    EncryptMemo memo = encryptMemo.get();
    if (memo != null && memo.generation == encryptCache.generation()
        && memo.keyName.equals(keyName) && memo.context.equals(context)
        && hotNow.getAsLong() - memo.material.expiresAt < 0) {
      byte[] out = memo.material.encrypter.tryEncrypt(plaintext);
      if (out != null) {
        return out;
      }
    }
    long generation = encryptCache.generation();
    return encryptCache.withValue(new EncryptKey(keyName, context), EncryptKey::immutableCopy,
        this::newEncryptionMaterial, m -> {
          byte[] out = m.encrypter.tryEncrypt(plaintext);
          if (out != null) {
            encryptMemo.set(new EncryptMemo(keyName, Map.copyOf(context), m, generation));
          }
          return out;
        });
  }

  /**
   * {@link #encrypt(String, byte[], Map)} with a data key that is already cached: never calls the
   * keyserver and never blocks on I/O, so it may run on an event loop. Same guarantee as {@code
   * encrypt}.
   *
   * @return the ciphertext, or empty when no cached data key for (key name, context) has budget
   *     left; the caller then uses {@link #encrypt} or {@link #encryptAsync} off the event loop
   * @throws IllegalArgumentException as {@link #encrypt(String, byte[], Map)}
   */
  public Optional<byte[]> encryptIfCached(String keyName, byte[] plaintext,
      Map<String, String> context) {
    Objects.requireNonNull(plaintext, "plaintext must not be null");
    if (plaintext.length > settings.dataKeyMaxBytes()) {
      throw new IllegalArgumentException("plaintext of " + plaintext.length
          + " bytes exceeds the data key max-bytes " + settings.dataKeyMaxBytes()
          + "; use encryptingStream");
    }
    byte[] result = encryptCache.withCachedValue(new EncryptKey(keyName, context),
        m -> m.encrypter.tryEncrypt(plaintext));
    if (result != null) {
      encryptLookups.increment();
    }
    return Optional.ofNullable(result);
  }

  /**
   * {@link #decrypt} with a data key that is cached and within its max-age: never calls the
   * keyserver and never blocks on I/O. Same guarantee as {@code decrypt}: nothing is returned
   * unless the ciphertext and context verify.
   *
   * @return the plaintext, or empty when the data key is not cached fresh (a key that is only
   *     within its grace is not used here: {@link #decrypt} must first try the keyserver)
   * @throws DecryptionFailedException as {@link #decrypt}, when the cached key does not open it
   */
  public Optional<byte[]> decryptIfCached(byte[] ciphertext, Map<String, String> context) {
    Objects.requireNonNull(ciphertext, "ciphertext must not be null");
    byte[] remembered = openWithMemo(ciphertext, context);
    if (remembered != null) {
      return Optional.of(remembered);
    }
    byte[] canonical = CanonicalContext.encode(context);
    Header header = Header.parse(ciphertext);
    if (header.algorithm() != Header.ALGORITHM_MESSAGE) {
      throw new DecryptionFailedException();
    }
    DecryptionKeyCache.Lookup<DataKey> found =
        decryptCache.lookupIfFresh(DecryptKey.of(header, canonical));
    if (found == null) {
      return Optional.empty();
    }
    decryptLookups.increment();
    return Optional.of(openAndRemember(found, header, ciphertext, context, canonical));
  }

  /** Data-key cache hits and misses so far (counts only), for metrics. */
  public CacheStats cacheStats() {
    long encLoads = encryptLoads.sum();
    long decLoads = decryptLoads.sum();
    return new CacheStats(Math.max(0, encryptLookups.sum() - encLoads), encLoads,
        Math.max(0, decryptLookups.sum() - decLoads), decLoads);
  }

  /** {@link #encrypt(byte[], Map)}, returned in the text form {@code kw1.<base64url>}. */
  public String encryptToText(byte[] plaintext, Map<String, String> context) {
    return TextForm.encode(encrypt(plaintext, context));
  }

  /** {@link #encrypt(String, byte[], Map)}, returned in the text form {@code kw1.<base64url>}. */
  public String encryptToText(String keyName, byte[] plaintext, Map<String, String> context) {
    return TextForm.encode(encrypt(keyName, plaintext, context));
  }

  /**
   * Verifies and decrypts a ciphertext made by {@link #encrypt}. No plaintext is returned unless
   * the whole ciphertext, its header and {@code context} verify.
   *
   * @throws DecryptionFailedException for any integrity failure: malformed, truncated, extended or
   *     tampered ciphertext, a different context, a data key that does not match the commitment
   * @throws IllegalArgumentException for a null ciphertext or an invalid context
   * @throws KeywardException when the data key is not cached and the keyserver refuses to unwrap
   *     it or cannot be reached
   */
  public byte[] decrypt(byte[] ciphertext, Map<String, String> context) {
    Objects.requireNonNull(ciphertext, "ciphertext must not be null");
    byte[] remembered = openWithMemo(ciphertext, context);
    if (remembered != null) {
      return remembered;
    }
    byte[] canonical = CanonicalContext.encode(context);
    Header header = Header.parse(ciphertext);
    if (header.algorithm() != Header.ALGORITHM_MESSAGE) {
      throw new DecryptionFailedException();
    }
    DecryptionKeyCache.Lookup<DataKey> found = dataKeyFor(header, context, canonical);
    return openAndRemember(found, header, ciphertext, context, canonical);
  }

  /**
   * The plaintext when this thread's memo covers the ciphertext's header and context, else null
   * (the ciphertext is then parsed and checked in full). Throws as {@link #decrypt} when the
   * header is the remembered one and the rest does not verify.
   */
  private byte[] openWithMemo(byte[] ciphertext, Map<String, String> context) {
    DecryptMemo memo = decryptMemo.get();
    if (memo == null || !memo.covers(context, hotNow.getAsLong(), decryptCache.generation())) {
      return null;
    }
    byte[] plaintext = memo.opener.openIfSameHeader(ciphertext);
    if (plaintext != null) {
      decryptLookups.increment(); // a hit, as far as the cache statistics are concerned
    }
    return plaintext;
  }

  /**
   * Opens a message whose header was parsed and whose data key was found, and remembers the
   * checked header for this thread when the key is fresh (never one served within its grace).
   */
  private byte[] openAndRemember(DecryptionKeyCache.Lookup<DataKey> found, Header header,
      byte[] ciphertext, Map<String, String> context, byte[] canonical) {
    MessageOpener opener = MessageOpener.forHeader(found.value(), header, canonical);
    byte[] plaintext = opener.openIfSameHeader(ciphertext);
    if (plaintext == null) { // cannot happen: the header was parsed from this ciphertext
      throw new DecryptionFailedException();
    }
    if (ticker.read() - found.freshUntil() < 0) {
      // Map.copyOf: the caller may change its map later; an equal map encodes alike.
      decryptMemo.set(new DecryptMemo(opener, Map.copyOf(context), found.freshUntil(),
          found.generation()));
    }
    return plaintext;
  }

  /** {@link #decrypt} of a text-form ciphertext ({@code kw1.<base64url>}). */
  public byte[] decryptText(String ciphertext, Map<String, String> context) {
    return decrypt(TextForm.decode(ciphertext), context);
  }

  /** {@link #encrypt(byte[], Map)} on the async executor. */
  public CompletableFuture<byte[]> encryptAsync(byte[] plaintext, Map<String, String> context) {
    return CompletableFuture.supplyAsync(() -> encrypt(plaintext, context), executor);
  }

  /** {@link #encrypt(String, byte[], Map)} on the async executor. */
  public CompletableFuture<byte[]> encryptAsync(
      String keyName, byte[] plaintext, Map<String, String> context) {
    return CompletableFuture.supplyAsync(() -> encrypt(keyName, plaintext, context), executor);
  }

  /** {@link #decrypt} on the async executor; failures complete the future exceptionally. */
  public CompletableFuture<byte[]> decryptAsync(byte[] ciphertext, Map<String, String> context) {
    return CompletableFuture.supplyAsync(() -> decrypt(ciphertext, context), executor);
  }

  /** {@link #encryptingStream(String, OutputStream, Map)} under the default key name. */
  public OutputStream encryptingStream(OutputStream sink, Map<String, String> context)
      throws IOException {
    return encryptingStream(defaultKeyName(), sink, context);
  }

  /**
   * Returns a stream that encrypts everything written to it into {@code sink} as 64 KiB
   * AES-256-GCM segments under a per-stream key. The stream must be closed: only {@code close()}
   * writes the final segment, without which the result does not decrypt.
   *
   * <p>Guarantee: as {@link #encrypt}, and the reader detects truncation, reordering, duplication
   * and a missing final segment.
   */
  public OutputStream encryptingStream(String keyName, OutputStream sink,
      Map<String, String> context) throws IOException {
    Objects.requireNonNull(sink, "sink must not be null");
    EncryptionMaterial m = encryptCache.withValue(new EncryptKey(keyName, context),
        EncryptKey::immutableCopy, this::newEncryptionMaterial,
        candidate -> candidate.encrypter.tryReserve(0) >= 0 ? candidate : null);
    return StreamEncryptingOutputStream.open(sink, m.key, m.keyName, m.keyVersion, m.wrappedDek,
        m.canonicalContext, Header.DEFAULT_SEGMENT_BYTES);
  }

  /**
   * Reads the header from {@code source} (unwrapping its data key now) and returns a stream of
   * the plaintext. Each segment is released only after it verified; a truncated or tampered
   * stream makes {@code read} throw {@link DecryptionFailedException}, at the latest when the end
   * is reached. Do not act on the plaintext before {@code read} returned -1.
   *
   * @throws DecryptionFailedException when the header is malformed or does not match its key
   */
  public InputStream decryptingStream(InputStream source, Map<String, String> context)
      throws IOException {
    Objects.requireNonNull(source, "source must not be null");
    byte[] canonical = CanonicalContext.encode(context);
    Header header = Header.read(source);
    if (header.algorithm() != Header.ALGORITHM_STREAM) {
      throw new DecryptionFailedException();
    }
    DataKey key = dataKeyFor(header, context, canonical).value();
    return StreamDecryptingInputStream.open(source, header, key, canonical);
  }

  /**
   * Rewraps the data key of a ciphertext (message or stream, whole in memory) under its key's
   * current primary version, without decrypting the payload: only the key version and the
   * wrapped DEK in the header change, every other byte stays as it is. Needs the {@code rewrap}
   * permission on the key. When the data key already is under the primary version the result is
   * the input unchanged ({@link RewrapResult#changed()} is false); this still asks the keyserver,
   * which is what knows the primary version.
   *
   * <p>Guarantee: the keyserver unwraps the data key only if {@code context} is the one it was
   * wrapped with, and the result names the same key name and the version it was wrapped under,
   * or the call fails; the DEK never reaches this process. The payload is not verified (that
   * needs the DEK): a ciphertext with a tampered payload rewraps and still fails to decrypt.
   *
   * @throws DecryptionFailedException when the header is malformed, or the keyserver finds the
   *     wrapped DEK invalid for this context, or its answer does not match the header
   * @throws NullPointerException for a null ciphertext
   * @throws IllegalArgumentException for an invalid context
   * @throws KeywardException when the keyserver refuses (e.g. no {@code rewrap} permission, a
   *     version below the minimum decryption version) or cannot be reached
   */
  public RewrapResult rewrap(byte[] ciphertext, Map<String, String> context) {
    Objects.requireNonNull(ciphertext, "ciphertext must not be null");
    CanonicalContext.encode(context); // validates before any call
    Header header = Header.parse(ciphertext);
    KeyserverStub.Rewrapped r = rewrapDataKey(header, context);
    if (r.keyVersion == header.keyVersion()) {
      return new RewrapResult(ciphertext.clone(), header.keyVersion(), r.keyVersion);
    }
    byte[] newHeader = header.withWrappedDek(r.keyVersion, r.wrappedDek);
    int body = ciphertext.length - header.length();
    byte[] out = Arrays.copyOf(newHeader, newHeader.length + body);
    System.arraycopy(ciphertext, header.length(), out, newHeader.length, body);
    return new RewrapResult(out, header.keyVersion(), r.keyVersion);
  }

  /** {@link #rewrap} of a text-form ciphertext; use {@link RewrapResult#ciphertextText()}. */
  public RewrapResult rewrapText(String ciphertext, Map<String, String> context) {
    return rewrap(TextForm.decode(ciphertext), context);
  }

  /**
   * {@link #rewrap} of a stream ciphertext: reads its header from {@code source}, writes the
   * rewrapped header to {@code sink}, then copies the rest of {@code source} unchanged. Neither
   * stream is closed. {@link RewrapResult#ciphertext()} is the header that was written.
   *
   * @throws DecryptionFailedException as {@link #rewrap}; nothing has been written then
   * @throws IOException when reading or writing fails (the sink may hold a partial copy)
   */
  public RewrapResult rewrapStream(InputStream source, OutputStream sink,
      Map<String, String> context) throws IOException {
    Objects.requireNonNull(source, "source must not be null");
    Objects.requireNonNull(sink, "sink must not be null");
    CanonicalContext.encode(context);
    Header header = Header.read(source);
    KeyserverStub.Rewrapped r = rewrapDataKey(header, context);
    byte[] newHeader = r.keyVersion == header.keyVersion()
        ? Arrays.copyOf(header.array(), header.length())
        : header.withWrappedDek(r.keyVersion, r.wrappedDek);
    sink.write(newHeader);
    source.transferTo(sink);
    return new RewrapResult(newHeader, header.keyVersion(), r.keyVersion);
  }

  private KeyserverStub.Rewrapped rewrapDataKey(Header header, Map<String, String> context) {
    KeyserverStub.Rewrapped r = keyserver.rewrapDataKey(header.wrappedDek(), context);
    // The keyserver says what the DEK was wrapped under; it must be what the header claims, or
    // the header's wrapped DEK belongs to another key and the result would not decrypt.
    if (!r.keyName.equals(header.keyName()) || r.previousKeyVersion != header.keyVersion()) {
      throw new DecryptionFailedException();
    }
    LOG.debug("rewrapped a data key of key {} from version {} to {}", r.keyName,
        Integer.toUnsignedString(r.previousKeyVersion), Integer.toUnsignedString(r.keyVersion));
    return r;
  }

  private DecryptionKeyCache.Lookup<DataKey> dataKeyFor(Header header,
      Map<String, String> context, byte[] canonical) {
    decryptLookups.increment();
    return decryptCache.lookup(DecryptKey.of(header, canonical), k -> {
      decryptLoads.increment();
      KeyserverStub.Unwrapped u = keyserver.decryptDataKey(header.wrappedDek(), context);
      // The header names the key and version; the keyserver says what the DEK was wrapped under.
      if (!u.keyName.equals(header.keyName()) || u.keyVersion != header.keyVersion()) {
        throw new DecryptionFailedException();
      }
      return u.key;
    });
  }

  private EncryptionMaterial newEncryptionMaterial(EncryptKey k) {
    byte[] canonical = CanonicalContext.encode(k.context());
    encryptLoads.increment();
    long expiresAt = ticker.read() + settings.dataKeyMaxAge().toNanos(); // before the call: safe
    KeyserverStub.Generated g = keyserver.generateDataKey(k.keyName(), k.context());
    byte[] header =
        Header.encodeMessage(g.keyName, g.keyVersion, g.wrappedDek, g.key.commitment());
    MessageEncrypter encrypter = MessageEncrypter.create(
        g.key, header, canonical, settings.dataKeyMaxMessages(), settings.dataKeyMaxBytes());
    LOG.debug("new data key for key {} version {}", g.keyName,
        Integer.toUnsignedString(g.keyVersion));
    return new EncryptionMaterial(g.key, encrypter, g.keyName, g.keyVersion, g.wrappedDek,
        canonical, expiresAt);
  }

  private String defaultKeyName() {
    return settings.defaultKeyName().orElseThrow(() -> new IllegalArgumentException(
        "no key name given and the settings have no default key name"));
  }

  private static Ticker tickerOf(Clock clock) {
    return () -> {
      Instant t = clock.instant();
      return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    };
  }

  private static ExecutorService newDaemonPool() {
    int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "keyward-sdk-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Stops the owned executor and channel; cached data keys are dropped. */
  @Override
  public void close() {
    encryptCache.invalidateAll(); // also voids every thread's memo
    decryptCache.invalidateAll();
    encryptMemo.remove();
    decryptMemo.remove();
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
    if (ownedChannel != null) {
      ownedChannel.shutdown();
      try {
        if (!ownedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
          ownedChannel.shutdownNow();
        }
      } catch (InterruptedException e) {
        ownedChannel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "KeywardClient[" + settings.keyserverAddress().orElse("custom channel") + "]";
  }
}
