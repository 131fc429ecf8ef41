-- Browser authorization (RFC 6749 §4.1, OIDC Core §3): authorization codes and
-- remembered consent. Browser sessions live in KV (contract), codes never do.

-- Authorization codes, stored only as SHA-256 hashes. Redeemed once: the redeeming
-- UPDATE sets consumed_at only where it is NULL and checks the rows changed, and records
-- what it issued so a replay can revoke exactly that (RFC 6749 §10.5).
CREATE TABLE authorization_codes (
    code_hash             TEXT PRIMARY KEY NOT NULL,
    client_id             TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    nonce                 TEXT,
    code_challenge        TEXT,                               -- RFC 7636 §4.2
    code_challenge_method TEXT CHECK (code_challenge_method IN ('S256', 'plain')),
    session_id            TEXT,                               -- hash of the browser session id
    auth_time             INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    consumed_at           INTEGER,
    issued_jti            TEXT,                               -- the access token the redemption issued
    issued_jti_expires_at INTEGER,
    issued_family_id      TEXT                                -- its refresh-token family, if any
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

-- What a user allowed a client; a request for more scopes asks again.
CREATE TABLE consents (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,                                 -- space-separated
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
