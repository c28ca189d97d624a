package io.keyward.keyserver.config;

/**
 * Every single-valued setting: its path in the YAML file, its environment variable and flag (null
 * when it has none), and its default as text. {@code identity.issuers} is a list and is read from
 * the file only.
 */
enum Setting {
  LISTEN("listen", "KEYWARD_LISTEN", "--listen", "0.0.0.0:8443"),
  METRICS_LISTEN("metricsListen", "KEYWARD_METRICS_LISTEN", "--metrics-listen", "0.0.0.0:9090"),
  TLS_CERT_FILE("tls.certFile", "KEYWARD_TLS_CERT_FILE", "--tls-cert-file", ""),
  TLS_KEY_FILE("tls.keyFile", "KEYWARD_TLS_KEY_FILE", "--tls-key-file", ""),
  TLS_CLIENT_CA_FILE(
      "tls.clientCaFile", "KEYWARD_TLS_CLIENT_CA_FILE", "--tls-client-ca-file", ""),
  INSECURE_DEV("insecureDev", "KEYWARD_INSECURE_DEV", "--insecure-dev", "false"),
  STORE("store", "KEYWARD_STORE", "--store", "sqlite:/var/lib/keyward/keyward.db"),
  ROOT_KEY_FILE("rootKey.file", "KEYWARD_ROOT_KEY_FILE", "--root-key-file", ""),
  ROOT_KEY_CREATE_IF_MISSING(
      "rootKey.createIfMissing", "KEYWARD_ROOT_KEY_CREATE", "--root-key-create", "false"),
  ROOT_KEY_PASSPHRASE_ENV(
      "rootKey.passphraseEnv",
      "KEYWARD_ROOT_KEY_PASSPHRASE_ENV",
      "--root-key-passphrase-env",
      ""),
  ROOT_KEY_PASSPHRASE_FILE(
      "rootKey.passphraseFile",
      "KEYWARD_ROOT_KEY_PASSPHRASE_FILE",
      "--root-key-passphrase-file",
      ""),
  ROOT_KEY_PKCS11_CONFIG(
      "rootKey.pkcs11Config", "KEYWARD_ROOT_KEY_PKCS11_CONFIG", "--root-key-pkcs11-config", ""),
  ROOT_KEY_PKCS11_KEY_LABEL(
      "rootKey.pkcs11KeyLabel",
      "KEYWARD_ROOT_KEY_PKCS11_KEY_LABEL",
      "--root-key-pkcs11-key-label",
      "keyward-root"),
  ROOT_KEY_PKCS11_PIN_ENV(
      "rootKey.pkcs11PinEnv", "KEYWARD_ROOT_KEY_PKCS11_PIN_ENV", "--root-key-pkcs11-pin-env", ""),
  ROOT_KEY_PREVIOUS_FILE(
      "rootKey.previousFile", "KEYWARD_ROOT_KEY_PREVIOUS_FILE", "--root-key-previous-file", ""),
  ROOT_KEY_PREVIOUS_PASSPHRASE_ENV(
      "rootKey.previousPassphraseEnv",
      "KEYWARD_ROOT_KEY_PREVIOUS_PASSPHRASE_ENV",
      "--root-key-previous-passphrase-env",
      ""),
  ROOT_KEY_PREVIOUS_PASSPHRASE_FILE(
      "rootKey.previousPassphraseFile",
      "KEYWARD_ROOT_KEY_PREVIOUS_PASSPHRASE_FILE",
      "--root-key-previous-passphrase-file",
      ""),
  ROOT_KEY_PREVIOUS_PKCS11_CONFIG(
      "rootKey.previousPkcs11Config",
      "KEYWARD_ROOT_KEY_PREVIOUS_PKCS11_CONFIG",
      "--root-key-previous-pkcs11-config",
      ""),
  ROOT_KEY_PREVIOUS_PKCS11_KEY_LABEL(
      "rootKey.previousPkcs11KeyLabel",
      "KEYWARD_ROOT_KEY_PREVIOUS_PKCS11_KEY_LABEL",
      "--root-key-previous-pkcs11-key-label",
      "keyward-root"),
  ROOT_KEY_PREVIOUS_PKCS11_PIN_ENV(
      "rootKey.previousPkcs11PinEnv",
      "KEYWARD_ROOT_KEY_PREVIOUS_PKCS11_PIN_ENV",
      "--root-key-previous-pkcs11-pin-env",
      ""),
  AUDIENCE("identity.audience", "KEYWARD_AUDIENCE", "--audience", "keyward"),
  CLOCK_SKEW("identity.clockSkew", null, null, "30s"),
  JWKS_REFRESH_MIN_INTERVAL("identity.jwksRefreshMinInterval", null, null, "30s"),
  POLICY_FILE("policyFile", "KEYWARD_POLICY_FILE", "--policy-file", ""),
  DESTROY_MIN_WAITING_PERIOD("keys.destroyMinWaitingPeriod", null, null, "24h"),
  DESTROY_DEFAULT_WAITING_PERIOD("keys.destroyDefaultWaitingPeriod", null, null, "30d"),
  MAINTENANCE_INTERVAL("keys.maintenanceInterval", null, null, "1m"),
  SHUTDOWN_GRACE_PERIOD("shutdownGracePeriod", null, null, "20s");

  static final String ISSUERS_PATH = "identity.issuers";

  final String path;
  final String env;
  final String flag;
  final String defaultValue;

  Setting(String path, String env, String flag, String defaultValue) {
    this.path = path;
    this.env = env;
    this.flag = flag;
    this.defaultValue = defaultValue;
  }

  /** Flags that may stand alone, meaning {@code true}. */
  boolean isBoolean() {
    return this == INSECURE_DEV || this == ROOT_KEY_CREATE_IF_MISSING;
  }

  static Setting byPath(String path) {
    for (Setting s : values()) {
      if (s.path.equals(path)) {
        return s;
      }
    }
    return null;
  }

  static Setting byFlag(String flag) {
    for (Setting s : values()) {
      if (flag.equals(s.flag)) {
        return s;
      }
    }
    return null;
  }

  /** True if some setting lives under {@code section.}. */
  static boolean isSection(String section) {
    for (Setting s : values()) {
      if (s.path.startsWith(section + ".")) {
        return true;
      }
    }
    return false;
  }
}
