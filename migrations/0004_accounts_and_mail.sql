-- Self-service accounts and mail (issue "browser sign-in" §5): the one-time links sent by
-- mail, and the outbox every message goes through (contract "Mail").

-- Email verification and password reset links. Only the SHA-256 of the token is kept;
-- a token is spent by one conditional UPDATE (used_at IS NULL AND expires_at > now), so
-- it works once. `email` is the address the link was sent to: a verification applies
-- only while the account still has that address.
CREATE TABLE email_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
-- A new link of a purpose retires the user's older unused ones.
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

-- Every message, whatever the provider: with EMAIL_PROVIDER=log it stays here
-- (status 'logged') and is read at /admin/outbox and GET /api/outbox; with http it is
-- sent and marked 'sent' or 'failed' (last_error says why).
CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY NOT NULL,        -- UUID v4
    template    TEXT NOT NULL,                    -- welcome, verification, password-reset, new-login
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    text_body   TEXT NOT NULL,
    html_body   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('logged', 'pending', 'sent', 'failed')),
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
