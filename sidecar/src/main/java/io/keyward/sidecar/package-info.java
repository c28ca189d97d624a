/** The per-pod sidecar: local encryption API, transparent JSON-field proxy, KMS v2 plugin. */
package io.keyward.sidecar;
