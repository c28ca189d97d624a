/**
 * Bounded Caffeine caches of data keys: one for encryption (age, plus the message and byte budget
 * that the cached value enforces), one for decryption (age, plus an optional grace while the
 * keyserver is unavailable). Internal to the SDK; it may change without notice.
 */
package io.keyward.sdk.cache;
