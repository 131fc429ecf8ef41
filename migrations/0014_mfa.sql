-- Multi-factor sign-in (contract "Pages": /mfa; RFC 6238 TOTP, backup codes) and the
-- authentication methods (RFC 8176 `amr`) every artefact of a sign-in carries on to the
-- ID tokens issued from it.

-- One authenticator app per user. The shared secret is sealed under SECRET_KEY (AES-256-GCM,
-- like the signing keys): a copy of this table alone yields no codes.
CREATE TABLE mfa_totp (
    user_id       TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    confirmed_at  INTEGER,                       -- NULL until a first code proved the app has it
    last_step     INTEGER NOT NULL DEFAULT 0     -- newest accepted 30-s step: a code is used once
);

-- Ten single-use recovery codes per user, HMAC-SHA256 (key derived from SECRET_KEY) of the
-- user id and the code: the table alone cannot be searched offline.
CREATE TABLE mfa_backup_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- REQUIRE_MFA / REQUIRE_ADMIN_MFA with MFA_GRACE_PERIOD_DAYS: when the user was first asked
-- to enrol; the grace period runs from there.
ALTER TABLE users ADD COLUMN mfa_asked_at INTEGER;

-- The methods of the sign-in (space-separated RFC 8176 values) beside each auth_time.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE authorization_codes ADD COLUMN amr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT;
ALTER TABLE device_codes ADD COLUMN amr TEXT;
