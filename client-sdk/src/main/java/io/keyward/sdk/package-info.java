/**
 * Keyward client SDK: envelope encryption under data keys issued by the Keyward keyserver.
 *
 * <p>The public API is {@link io.keyward.sdk.KeywardClient} (two verbs, {@code encrypt} and
 * {@code decrypt}, with async, text and streaming forms), its {@link
 * io.keyward.sdk.KeywardSettings}, the {@link io.keyward.sdk.TokenSource}s and the {@link
 * io.keyward.sdk.KeywardException} hierarchy. No public method takes a nonce or a raw key.
 * The ciphertext format is specified in {@code docs/ciphertext-format.md}.
 */
package io.keyward.sdk;
