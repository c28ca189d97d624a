package io.keyward.injector;

/**
 * Every pod annotation the injector reads or writes. This is the one place they are named; the
 * manifests in {@code deploy/} and {@code deploy/README.md} use the same strings.
 */
public final class Annotations {
  private Annotations() {}

  /** Prefix shared by all Keyward annotations. */
  public static final String PREFIX = "keyward.io/";

  /**
   * {@code "true"} asks for the sidecar; {@code "false"} or absence leaves the pod alone. Any other
   * value is rejected, so a typo never silently starts a pod without its sidecar.
   */
  public static final String INJECT = PREFIX + "inject";

  /** Key name the sidecar uses when a request names none ({@code KEYWARD_DEFAULT_KEY}). */
  public static final String DEFAULT_KEY = PREFIX + "default-key";

  /**
   * Name of a ConfigMap in the pod's namespace whose {@code sidecar.yaml} entry is the sidecar's
   * configuration file (mounted read-only and passed as {@code --config}).
   */
  public static final String SIDECAR_CONFIG = PREFIX + "sidecar-config";

  /** Sidecar CPU request, a Kubernetes quantity ({@code 50m}). */
  public static final String CPU_REQUEST = PREFIX + "sidecar-cpu-request";

  /** Sidecar memory request, a Kubernetes quantity ({@code 128Mi}). */
  public static final String MEMORY_REQUEST = PREFIX + "sidecar-memory-request";

  /** Sidecar CPU limit; unset by default (CPU limits throttle the JVM's start-up). */
  public static final String CPU_LIMIT = PREFIX + "sidecar-cpu-limit";

  /** Sidecar memory limit ({@code 256Mi} by default); the sidecar peaks near 96 MiB under load. */
  public static final String MEMORY_LIMIT = PREFIX + "sidecar-memory-limit";

  /**
   * Written by the injector: the pod already has its sidecar. A pod carrying it is never patched
   * again (re-invocation, or a pod spec copied from a running pod).
   */
  public static final String INJECTED = PREFIX + "injected";

  /**
   * Written by the injector: the keyserver's CA bundle (PEM), projected into the sidecar as a file
   * through the downward API so that no per-namespace ConfigMap is needed.
   */
  public static final String KEYSERVER_CA = PREFIX + "keyserver-ca";

  /**
   * Label (not annotation) the injector puts on every pod it injects: the keyserver's
   * NetworkPolicy admits traffic from pods carrying it. It is a network filter only; callers are
   * still authenticated by their token.
   */
  public static final String SIDECAR_LABEL = PREFIX + "sidecar";

  /**
   * Namespace label that opts a namespace into injection: the webhook's namespaceSelector only
   * sends pods from namespaces labelled {@code keyward.io/injection: enabled}.
   */
  public static final String NAMESPACE_LABEL = PREFIX + "injection";
}
