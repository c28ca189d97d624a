/**
 * Ciphertext format version 1: header encoding and bounded parsing, the canonical context, and
 * the {@code kw1.} text form. {@link io.keyward.sdk.format.TextForm} is meant for callers (a
 * proxy recognising ciphertexts); the rest is internal to the SDK and may change.
 */
package io.keyward.sdk.format;
