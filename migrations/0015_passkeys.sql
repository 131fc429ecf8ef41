-- Passkeys (WebAuthn Level 2): discoverable credentials that sign a person in without a
-- password, or stand as the second factor after one.
CREATE TABLE passkeys (
    credential_id   TEXT PRIMARY KEY NOT NULL,                   -- base64url, as the browser names it
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    public_key      TEXT NOT NULL,                               -- the COSE_Key, base64url (a public key)
    algorithm       INTEGER NOT NULL,                            -- COSE: -7 ES256, -257 RS256
    sign_count      INTEGER NOT NULL DEFAULT 0,                  -- only moves forward
    backup_eligible INTEGER NOT NULL DEFAULT 0,                  -- a synced passkey
    transports      TEXT,
    aaguid          TEXT,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- One ceremony's challenge, taken once by a DELETE ... RETURNING; the hourly cleanup
-- removes expired ones.
CREATE TABLE webauthn_challenges (
    challenge_hash TEXT PRIMARY KEY NOT NULL,                    -- SHA-256 of the challenge
    purpose        TEXT NOT NULL,                                -- register | sign_in
    user_id        TEXT,                                         -- whose ceremony, if known
    expires_at     INTEGER NOT NULL
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);
