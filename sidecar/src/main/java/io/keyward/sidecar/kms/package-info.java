/**
 * The Kubernetes KMS v2 plugin: kube-apiserver wraps its data-encryption-key seeds with a Keyward
 * key over a Unix domain socket. Start it with {@link io.keyward.sidecar.kms.KmsPluginMain} or,
 * in-process, {@link io.keyward.sidecar.kms.KmsPlugin#start}. See docs/kms-plugin.md.
 */
package io.keyward.sidecar.kms;
