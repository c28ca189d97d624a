/**
 * AES-256-GCM through the JDK, key derivation and commitment (HKDF-SHA256), single-message
 * encryption within a per-data-key budget, and segmented streaming. Internal to the SDK: public
 * only so that the SDK's packages can share it; it may change without notice.
 */
package io.keyward.sdk.aead;
