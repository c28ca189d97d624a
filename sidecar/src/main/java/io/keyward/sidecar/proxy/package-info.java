/**
 * The transparent JSON-field proxy: encrypts configured JSON fields of matching requests on their
 * way to the upstream and decrypts Keyward ciphertexts in JSON responses on their way back.
 * Entry points: {@link io.keyward.sidecar.proxy.ProxyRoute#fromConfig}, {@link
 * io.keyward.sidecar.proxy.FieldProxy#start}. Format and semantics: docs/proxy.md.
 */
package io.keyward.sidecar.proxy;
