-- Keyward key store schema. Portable SQL: the same files run on SQLite and PostgreSQL.
-- Times are BIGINT microseconds since the epoch (UTC).
-- Binary columns are BYTEA: native on PostgreSQL; on SQLite the name gives NUMERIC affinity,
-- which stores a bound BLOB unchanged (affinity only converts TEXT values).

CREATE TABLE named_keys (
  name                   TEXT    NOT NULL PRIMARY KEY,
  created_at_us          BIGINT  NOT NULL,
  primary_version        INTEGER NOT NULL CHECK (primary_version >= 1),
  min_decryption_version INTEGER NOT NULL CHECK (min_decryption_version >= 1),
  rotation_period_s      BIGINT  CHECK (rotation_period_s > 0),
  rotate_after_data_keys BIGINT  CHECK (rotate_after_data_keys > 0)
);

CREATE TABLE key_versions (
  key_name         TEXT    NOT NULL REFERENCES named_keys (name),
  version          INTEGER NOT NULL CHECK (version >= 1),
  state            TEXT    NOT NULL
                   CHECK (state IN ('ENABLED', 'DISABLED', 'DESTROY_SCHEDULED', 'DESTROYED')),
  created_at_us    BIGINT  NOT NULL,
  destroy_at_us    BIGINT,
  data_keys_issued BIGINT  NOT NULL DEFAULT 0,
  -- both NULL once the version is destroyed
  root_key_id      TEXT,
  wrapped_secret   BYTEA,
  PRIMARY KEY (key_name, version)
);

-- destroyDueVersions scans scheduled versions by time.
CREATE INDEX key_versions_by_state ON key_versions (state, destroy_at_us);

-- The policy document: at most one row (id = 1).
CREATE TABLE policy (
  id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  document      TEXT    NOT NULL,
  revision      BIGINT  NOT NULL,
  updated_at_us BIGINT  NOT NULL
);

CREATE TABLE metadata (
  name  TEXT  NOT NULL PRIMARY KEY,
  value BYTEA NOT NULL
);
