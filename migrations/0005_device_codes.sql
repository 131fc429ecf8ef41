-- The device authorization grant (RFC 8628): one row per device authorization.
-- Both codes are stored hashed (device code: SHA-256; user code: HMAC-SHA256 under
-- SECRET_KEY, since 8 letters are few enough to try them all against a plain hash).
CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY NOT NULL,
    user_code_hash   TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    -- pending → approved | denied (the person on /activate) ; approved → consumed (one poll)
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
    user_id          TEXT,
    auth_time        INTEGER,
    session_id       TEXT,                       -- hash of the browser session that approved
    poll_interval    INTEGER NOT NULL,           -- seconds; grows by 5 with each slow_down (§3.5)
    last_polled_at   INTEGER,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    decided_at       INTEGER,
    consumed_at      INTEGER
);
-- A user code names one live request: unique among pending rows.
CREATE UNIQUE INDEX device_codes_pending_user_code ON device_codes (user_code_hash) WHERE status = 'pending';
