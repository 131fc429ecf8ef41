-- The browser sessions' index in D1 (contract "Admin and account API", Sessions). KV keeps
-- each session for the fast read on every browser request; this table lists them by user,
-- age and address for the admin API, and it decides: a session without a row here is over,
-- whatever a KV replica still shows (a KV delete can take up to 60 s to reach every edge,
-- a D1 delete is seen by the next read). The check costs no round trip: the user read that
-- follows every session read joins this table. Sessions started before this migration have
-- no row, so everyone signs in once more.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,                     -- SHA-256 of the cookie, as the KV key
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_address   TEXT,
    user_agent   TEXT,
    auth_time    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,                              -- moved at most once a minute
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX sessions_ip ON sessions (ip_address);
