package io.keyward.injector;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the injector puts into a pod when the pod's annotations do not say otherwise. Immutable;
 * {@link Builder#build()} checks every value and names the bad one.
 */
public final class InjectorConfig {
  static final Pattern QUANTITY = Pattern.compile("^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$");
  private static final Pattern HOST_PORT =
      Pattern.compile("^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})$");
  private static final Pattern NAMESPACE = Pattern.compile("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$");

  private final String sidecarImage;
  private final String imagePullPolicy;
  private final String keyserver;
  private final Optional<String> keyserverCaPem;
  private final boolean nativeSidecar;
  private final String tokenAudience;
  private final long tokenExpirationSeconds;
  private final int httpPort;
  private final int grpcPort;
  private final int healthPort;
  private final String cpuRequest;
  private final String memoryRequest;
  private final Optional<String> cpuLimit;
  private final Optional<String> memoryLimit;
  private final Optional<String> ownNamespace;

  private InjectorConfig(Builder b) {
    sidecarImage = b.sidecarImage;
    imagePullPolicy = b.imagePullPolicy;
    keyserver = b.keyserver;
    keyserverCaPem = b.keyserverCaPem;
    nativeSidecar = b.nativeSidecar;
    tokenAudience = b.tokenAudience;
    tokenExpirationSeconds = b.tokenExpirationSeconds;
    httpPort = b.httpPort;
    grpcPort = b.grpcPort;
    healthPort = b.healthPort;
    cpuRequest = b.cpuRequest;
    memoryRequest = b.memoryRequest;
    cpuLimit = b.cpuLimit;
    memoryLimit = b.memoryLimit;
    ownNamespace = b.ownNamespace;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String sidecarImage() { return sidecarImage; }
  public String imagePullPolicy() { return imagePullPolicy; }
  public String keyserver() { return keyserver; }
  /** PEM bundle the sidecar trusts for the keyserver; empty: the sidecar's own default. */
  public Optional<String> keyserverCaPem() { return keyserverCaPem; }
  /** {@code true}: init container with {@code restartPolicy: Always} (Kubernetes 1.29+). */
  public boolean nativeSidecar() { return nativeSidecar; }
  public String tokenAudience() { return tokenAudience; }
  public long tokenExpirationSeconds() { return tokenExpirationSeconds; }
  public int httpPort() { return httpPort; }
  public int grpcPort() { return grpcPort; }
  public int healthPort() { return healthPort; }
  public String cpuRequest() { return cpuRequest; }
  public String memoryRequest() { return memoryRequest; }
  public Optional<String> cpuLimit() { return cpuLimit; }
  public Optional<String> memoryLimit() { return memoryLimit; }
  /** The injector's own namespace: pods there are never injected. */
  public Optional<String> ownNamespace() { return ownNamespace; }

  @Override
  public String toString() {
    return "InjectorConfig{sidecarImage=" + sidecarImage + ", keyserver=" + keyserver
        + ", nativeSidecar=" + nativeSidecar + ", keyserverCa=" + (keyserverCaPem.isPresent()
            ? "set" : "unset") + "}";
  }

  /** Validating builder; defaults are the documented ones. */
  public static final class Builder {
    private String sidecarImage;
    private String imagePullPolicy = "IfNotPresent";
    private String keyserver = "keyward-keyserver.keyward.svc:8443";
    private Optional<String> keyserverCaPem = Optional.empty();
    private boolean nativeSidecar = true;
    private String tokenAudience = "keyward";
    private long tokenExpirationSeconds = 3600;
    private int httpPort = 8180;
    private int grpcPort = 8181;
    private int healthPort = 8182;
    private String cpuRequest = "50m";
    private String memoryRequest = "128Mi";
    private Optional<String> cpuLimit = Optional.empty();
    private Optional<String> memoryLimit = Optional.of("256Mi");
    private Optional<String> ownNamespace = Optional.empty();

    private Builder() {}

    public Builder sidecarImage(String v) { sidecarImage = v; return this; }
    public Builder imagePullPolicy(String v) { imagePullPolicy = v; return this; }
    public Builder keyserver(String v) { keyserver = v; return this; }
    public Builder keyserverCaPem(Optional<String> v) { keyserverCaPem = Objects.requireNonNull(v); return this; }
    public Builder nativeSidecar(boolean v) { nativeSidecar = v; return this; }
    public Builder tokenAudience(String v) { tokenAudience = v; return this; }
    public Builder tokenExpirationSeconds(long v) { tokenExpirationSeconds = v; return this; }
    public Builder httpPort(int v) { httpPort = v; return this; }
    public Builder grpcPort(int v) { grpcPort = v; return this; }
    public Builder healthPort(int v) { healthPort = v; return this; }
    public Builder cpuRequest(String v) { cpuRequest = v; return this; }
    public Builder memoryRequest(String v) { memoryRequest = v; return this; }
    public Builder cpuLimit(Optional<String> v) { cpuLimit = Objects.requireNonNull(v); return this; }
    public Builder memoryLimit(Optional<String> v) { memoryLimit = Objects.requireNonNull(v); return this; }
    public Builder ownNamespace(Optional<String> v) { ownNamespace = Objects.requireNonNull(v); return this; }

    /** @throws IllegalArgumentException naming the first bad setting and its value */
    public InjectorConfig build() {
      if (sidecarImage == null || sidecarImage.isBlank() || sidecarImage.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("sidecarImage must be an image reference without spaces, got '" + sidecarImage + "'");
      }
      if (!(imagePullPolicy.equals("Always") || imagePullPolicy.equals("IfNotPresent") || imagePullPolicy.equals("Never"))) {
        throw new IllegalArgumentException("imagePullPolicy must be Always, IfNotPresent or Never, got '" + imagePullPolicy + "'");
      }
      if (keyserver == null || !HOST_PORT.matcher(keyserver).matches()) {
        throw new IllegalArgumentException("keyserver must be host:port, got '" + keyserver + "'");
      }
      keyserverCaPem.ifPresent(pem -> {
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
          throw new IllegalArgumentException("keyserverCaFile must hold PEM certificates, got no BEGIN CERTIFICATE line");
        }
        // Annotations share a 256 KiB budget per object; a CA bundle far below that is expected.
        if (pem.length() > 64 * 1024) {
          throw new IllegalArgumentException("keyserverCaFile must be at most 64 KiB, got " + pem.length() + " bytes");
        }
      });
      if (tokenAudience == null || tokenAudience.isEmpty() || tokenAudience.length() > 256
          || tokenAudience.chars().anyMatch(c -> c <= ' ' || c > '~')) {
        throw new IllegalArgumentException("tokenAudience must be 1-256 printable characters without spaces, got '" + tokenAudience + "'");
      }
      // The kubelet refuses projected tokens below 10 minutes; long-lived tokens defeat the point.
      if (tokenExpirationSeconds < 600 || tokenExpirationSeconds > 86400) {
        throw new IllegalArgumentException("tokenExpirationSeconds must be between 600 and 86400, got " + tokenExpirationSeconds);
      }
      checkPort("sidecarHttpPort", httpPort);
      checkPort("sidecarGrpcPort", grpcPort);
      checkPort("sidecarHealthPort", healthPort);
      if (httpPort == grpcPort || httpPort == healthPort || grpcPort == healthPort) {
        throw new IllegalArgumentException("sidecar ports must differ, got http " + httpPort + ", grpc " + grpcPort + ", health " + healthPort);
      }
      checkQuantity("cpuRequest", cpuRequest);
      checkQuantity("memoryRequest", memoryRequest);
      cpuLimit.ifPresent(v -> checkQuantity("cpuLimit", v));
      memoryLimit.ifPresent(v -> checkQuantity("memoryLimit", v));
      ownNamespace.ifPresent(ns -> {
        if (!NAMESPACE.matcher(ns).matches()) {
          throw new IllegalArgumentException("own namespace must be a DNS label, got '" + ns + "'");
        }
      });
      return new InjectorConfig(this);
    }

    private static void checkPort(String name, int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(name + " must be between 1 and 65535, got " + port);
      }
    }

    private static void checkQuantity(String name, String value) {
      if (value == null || !QUANTITY.matcher(value).matches()) {
        throw new IllegalArgumentException(name + " must be a Kubernetes quantity such as 50m or 128Mi, got '" + value + "'");
      }
    }
  }
}
