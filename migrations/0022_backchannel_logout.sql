-- OpenID Connect Back-Channel Logout 1.0 (docs/security.md, "Signing out").
-- §2.2 client metadata.
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0;

-- Which clients got a code or tokens in which browser session: the ones told when it ends.
CREATE TABLE session_clients (
    session_id  TEXT NOT NULL,               -- sessions.id_hash (the tokens' sid)
    client_id   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX session_clients_created ON session_clients (created_at);

-- One Logout Token to deliver: written in the batch that ends the session (so an ended
-- session is never left untold), signed and POSTed after the answer, retried with backoff
-- by the Cron Trigger until delivered or given up.
CREATE TABLE logout_deliveries (
    id               TEXT PRIMARY KEY NOT NULL,   -- the Logout Token's jti
    client_id        TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    uri              TEXT NOT NULL,               -- the client's backchannel_logout_uri then
    alg              TEXT,                        -- its ID-token algorithm then (NULL: RS256)
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    delivered_at     INTEGER,
    given_up_at      INTEGER,
    last_error       TEXT
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (delivered_at, given_up_at, next_attempt_at);
