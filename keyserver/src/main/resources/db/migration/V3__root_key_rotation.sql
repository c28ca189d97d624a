-- Root-key rotation in two steps (see io.keyward.keyserver.rootkey.RootKeyRotation): while a
-- rotation runs, each live version carries a second wrap of its secret under the next root key
-- beside the authoritative one, written in resumable batches; one final transaction makes the next
-- wraps authoritative. Both NULL outside a rotation and on destroyed versions. The rotation itself
-- (next root key id and check value) is recorded in the metadata table.

ALTER TABLE key_versions ADD COLUMN next_root_key_id TEXT;
ALTER TABLE key_versions ADD COLUMN next_wrapped_secret BYTEA;
