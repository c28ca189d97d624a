package io.keyward.sidecar;

import io.keyward.sdk.DecryptionFailedException;
import io.keyward.sdk.KeywardClient;
import io.keyward.sdk.format.Header;
import io.keyward.sdk.format.TextForm;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Encrypt and decrypt for both local APIs. A request whose data key is cached runs inline on the
 * caller's thread (an event loop: it does no I/O); any other goes to the bounded worker pool,
 * where the SDK may call the keyserver. A full pool fails the request with 503 at once instead of
 * queueing without bound. Failures complete the future with an exception that {@link
 * ApiError#of} maps.
 */
final class Operations {
  /** An encryption result: text-form ciphertext and the key name and version it used. */
  record Encrypted(String ciphertext, String key, long version) {}

  private final KeywardClient client;
  private final Optional<String> defaultKey;
  private final Executor workers;

  Operations(KeywardClient client, Optional<String> defaultKey, Executor workers) {
    this.client = client;
    this.defaultKey = defaultKey;
    this.workers = workers;
  }

  CompletableFuture<Encrypted> encrypt(String key, byte[] plaintext, Map<String, String> context) {
    String name;
    Optional<byte[]> cached;
    try {
      name = keyName(key);
      cached = client.encryptIfCached(name, plaintext, context);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (cached.isPresent()) {
      return CompletableFuture.completedFuture(encrypted(cached.get()));
    }
    return offload(() -> encrypted(client.encrypt(name, plaintext, context)));
  }

  CompletableFuture<byte[]> decrypt(String ciphertext, Map<String, String> context) {
    byte[] binary;
    Optional<byte[]> cached;
    try {
      try {
        binary = TextForm.decode(ciphertext);
      } catch (DecryptionFailedException e) {
        throw new ApiError.ApiException(ApiError.malformedCiphertext());
      }
      cached = client.decryptIfCached(binary, context);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (cached.isPresent()) {
      return CompletableFuture.completedFuture(cached.get());
    }
    return offload(() -> client.decrypt(binary, context));
  }

  private String keyName(String key) {
    if (key != null && !key.isEmpty()) {
      return key;
    }
    return defaultKey.orElseThrow(() -> new ApiError.ApiException(ApiError.malformed(
        "no key given and the sidecar has no default key (defaultKey)")));
  }

  private <T> CompletableFuture<T> offload(java.util.function.Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, workers);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new ApiError.ApiException(ApiError.overloaded()));
    }
  }

  private static Encrypted encrypted(byte[] ciphertext) {
    Header h = Header.parse(ciphertext);
    return new Encrypted(TextForm.encode(ciphertext), h.keyName(),
        Integer.toUnsignedLong(h.keyVersion()));
  }
}
