package io.keyward.sdk;

/**
 * Counts of data-key cache use since a {@link KeywardClient} was created, for metrics. A miss is
 * one keyserver call (GenerateDataKey for encryption, DecryptDataKey for decryption); every other
 * lookup is a hit, including callers that waited for another caller's load. Counts only: no key
 * names, contexts or key material.
 */
public record CacheStats(long encryptHits, long encryptMisses, long decryptHits,
    long decryptMisses) {}
