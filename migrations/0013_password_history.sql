-- PASSWORD_HISTORY_COUNT: the hashes of a user's earlier passwords (argon2id, as the
-- current one), newest kept, so a password used recently cannot be set again. Only the
-- last PASSWORD_HISTORY_COUNT - 1 are kept (the current one is the Nth).
CREATE TABLE password_history (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL                              -- when it stopped being the password
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);
