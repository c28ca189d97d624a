package io.keyward.sidecar;

/**
 * Every single-valued setting: its path in the YAML file, its environment variable and flag, and
 * its default as text. {@code proxy} is a list and is read from the file only.
 */
enum Setting {
  KEYSERVER_ADDRESS("keyserver.address", "KEYWARD_KEYSERVER", "--keyserver", ""),
  KEYSERVER_CA_FILE("keyserver.caFile", "KEYWARD_KEYSERVER_CA_FILE", "--keyserver-ca-file", ""),
  KEYSERVER_INSECURE_PLAINTEXT("keyserver.insecurePlaintext", "KEYWARD_KEYSERVER_INSECURE_PLAINTEXT",
      "--keyserver-insecure-plaintext", "false"),
  KEYSERVER_CALL_DEADLINE("keyserver.callDeadline", "KEYWARD_KEYSERVER_CALL_DEADLINE",
      "--keyserver-call-deadline", "5s"),
  TOKEN_FILE("tokenFile", "KEYWARD_TOKEN_FILE", "--token-file", "/var/run/secrets/keyward/token"),
  HTTP_LISTEN("listen.http", "KEYWARD_HTTP_LISTEN", "--http-listen", "127.0.0.1:8180"),
  GRPC_LISTEN("listen.grpc", "KEYWARD_GRPC_LISTEN", "--grpc-listen", "127.0.0.1:8181"),
  HEALTH_LISTEN("listen.health", "KEYWARD_HEALTH_LISTEN", "--health-listen", ""),
  HTTP_UNIX_SOCKET("listen.httpUnixSocket", "KEYWARD_HTTP_UNIX_SOCKET", "--http-unix-socket", ""),
  GRPC_UNIX_SOCKET("listen.grpcUnixSocket", "KEYWARD_GRPC_UNIX_SOCKET", "--grpc-unix-socket", ""),
  UNIX_SOCKET_MODE("listen.unixSocketMode", "KEYWARD_UNIX_SOCKET_MODE", "--unix-socket-mode", "0600"),
  DEFAULT_KEY("defaultKey", "KEYWARD_DEFAULT_KEY", "--default-key", ""),
  CACHE_MAX_DATA_KEYS("cache.maxDataKeys", "KEYWARD_CACHE_MAX_DATA_KEYS", "--cache-max-data-keys",
      "1000"),
  CACHE_DATA_KEY_MAX_AGE("cache.dataKeyMaxAge", "KEYWARD_CACHE_DATA_KEY_MAX_AGE",
      "--cache-data-key-max-age", "5m"),
  CACHE_DATA_KEY_MAX_MESSAGES("cache.dataKeyMaxMessages", "KEYWARD_CACHE_DATA_KEY_MAX_MESSAGES",
      "--cache-data-key-max-messages", "16777216"),
  CACHE_DATA_KEY_MAX_BYTES("cache.dataKeyMaxBytes", "KEYWARD_CACHE_DATA_KEY_MAX_BYTES",
      "--cache-data-key-max-bytes", "4294967296"),
  CACHE_DECRYPT_KEY_MAX_AGE("cache.decryptKeyMaxAge", "KEYWARD_CACHE_DECRYPT_KEY_MAX_AGE",
      "--cache-decrypt-key-max-age", "5m"),
  CACHE_DECRYPT_GRACE_PERIOD("cache.decryptGracePeriod", "KEYWARD_CACHE_DECRYPT_GRACE_PERIOD",
      "--cache-decrypt-grace-period", "1h"),
  MAX_BODY_BYTES("limits.maxBodyBytes", "KEYWARD_MAX_BODY_BYTES", "--max-body-bytes", "1048576"),
  MAX_BATCH_ITEMS("limits.maxBatchItems", "KEYWARD_MAX_BATCH_ITEMS", "--max-batch-items", "1000"),
  WORKER_THREADS("limits.workerThreads", "KEYWARD_WORKER_THREADS", "--worker-threads", "8"),
  WORKER_QUEUE("limits.workerQueue", "KEYWARD_WORKER_QUEUE", "--worker-queue", "4096"),
  SHUTDOWN_GRACE_PERIOD("shutdownGracePeriod", "KEYWARD_SHUTDOWN_GRACE_PERIOD",
      "--shutdown-grace-period", "5s");

  static final String PROXY_PATH = "proxy";

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

  boolean isBoolean() {
    return this == KEYSERVER_INSECURE_PLAINTEXT;
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

  static boolean isSection(String section) {
    for (Setting s : values()) {
      if (s.path.startsWith(section + ".")) {
        return true;
      }
    }
    return false;
  }
}
