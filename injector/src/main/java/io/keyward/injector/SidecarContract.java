package io.keyward.injector;

/**
 * What the injected container tells the sidecar process: its environment variable names (those
 * of {@code io.keyward.sidecar.SidecarConfig}) and the paths inside the pod. Kept in one class so
 * a renamed sidecar setting is changed here only.
 */
final class SidecarContract {
  private SidecarContract() {}

  static final String CONTAINER_NAME = "keyward-sidecar";
  static final String IDENTITY_VOLUME = "keyward-identity";
  static final String TMP_VOLUME = "keyward-tmp";
  static final String CONFIG_VOLUME = "keyward-sidecar-config";

  static final String IDENTITY_DIR = "/var/run/secrets/keyward";
  static final String TOKEN_PATH = "token";
  static final String CA_PATH = "ca.pem";
  static final String CONFIG_DIR = "/etc/keyward/sidecar";
  static final String CONFIG_KEY = "sidecar.yaml";

  static final String ENV_KEYSERVER = "KEYWARD_KEYSERVER";
  static final String ENV_KEYSERVER_CA_FILE = "KEYWARD_KEYSERVER_CA_FILE";
  static final String ENV_TOKEN_FILE = "KEYWARD_TOKEN_FILE";
  static final String ENV_DEFAULT_KEY = "KEYWARD_DEFAULT_KEY";
  static final String ENV_HTTP_LISTEN = "KEYWARD_HTTP_LISTEN";
  static final String ENV_GRPC_LISTEN = "KEYWARD_GRPC_LISTEN";
  static final String ENV_HEALTH_LISTEN = "KEYWARD_HEALTH_LISTEN";

  /** Set in every application container: where the sidecar's local HTTP API listens. */
  static final String ENV_SIDECAR_URL = "KEYWARD_SIDECAR_URL";
  /** Set in every application container: the sidecar's local gRPC API. */
  static final String ENV_SIDECAR_GRPC = "KEYWARD_SIDECAR_GRPC";

  static final String HEALTH_PORT_NAME = "keyward-health";
  static final int RUN_AS = 65532;
}
