-- Hash-chained audit log (see io.keyward.keyserver.audit.JdbcAuditLog for the hash encoding).

CREATE TABLE audit_records (
  seq           BIGINT NOT NULL PRIMARY KEY,
  event_time_us BIGINT NOT NULL,
  request_id    TEXT   NOT NULL,
  caller        TEXT,
  operation     TEXT   NOT NULL,
  key_name      TEXT,
  key_version   INTEGER,
  outcome       TEXT   NOT NULL,
  previous_hash TEXT   NOT NULL,
  hash          TEXT   NOT NULL
);

-- The chain head (last sequence and hash), updated in the same transaction as the records it
-- covers, so that deleting the newest records is detected. At most one row (id = 1).
CREATE TABLE audit_head (
  id        INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  last_seq  BIGINT  NOT NULL,
  last_hash TEXT    NOT NULL
);
