-- Refresh tokens keyed by their hash alone: in a WITHOUT ROWID table the row and its key
-- are one b-tree, so inserting a token (each rotation inserts its successor) writes four
-- rows instead of five (the row, its key, and the family, client and user indexes). D1
-- bills every row and index entry written (docs/scaling.md, "What a request costs").
-- The columns, their order and the indexes are those of 0002, 0008, 0014, 0024 and 0028.
CREATE TABLE refresh_tokens_keyed (
    token_hash        TEXT PRIMARY KEY NOT NULL,
    family_id         TEXT NOT NULL,
    parent_hash       TEXT,
    client_id         TEXT NOT NULL,
    user_id           TEXT,
    scope             TEXT NOT NULL,
    auth_time         INTEGER,
    session_id        TEXT,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    rotated_at        INTEGER,
    successor_hash    TEXT,
    successor_sealed  TEXT,
    revoked_at        INTEGER,
    family_expires_at INTEGER,
    amr               TEXT,
    resources         TEXT,
    dpop_jkt          TEXT
) WITHOUT ROWID;

INSERT INTO refresh_tokens_keyed (token_hash, family_id, parent_hash, client_id, user_id, scope, auth_time,
    session_id, created_at, expires_at, rotated_at, successor_hash, successor_sealed, revoked_at,
    family_expires_at, amr, resources, dpop_jkt)
SELECT token_hash, family_id, parent_hash, client_id, user_id, scope, auth_time,
    session_id, created_at, expires_at, rotated_at, successor_hash, successor_sealed, revoked_at,
    family_expires_at, amr, resources, dpop_jkt
FROM refresh_tokens;

DROP TABLE refresh_tokens;
ALTER TABLE refresh_tokens_keyed RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
