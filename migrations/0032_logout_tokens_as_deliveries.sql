-- Back-channel Logout Tokens go the deliveries' way (docs/delivery.md): one Queue, one
-- backoff, one dead-letter screen with "Retry now". `logout_deliveries` keeps what to tell
-- whom (written by SQL in the batch that ends a session); when and how it went is now the
-- `deliveries` row of the same id, kind `logout`.
CREATE TABLE deliveries_0032 (
    id               TEXT PRIMARY KEY NOT NULL,   -- UUID v4; a logout's: the Logout Token's jti
    kind             TEXT NOT NULL CHECK (kind IN ('mail', 'webhook', 'audit', 'logout')),
    reference        TEXT,                        -- a webhook's audit entry and URL, an audit batch's sink and first entry
    summary          TEXT NOT NULL,               -- what it is, for the console (a template and address)
    payload_sealed   TEXT,                        -- the message as sent, AES-GCM under SECRET_KEY; NULL once delivered (a logout's is its logout_deliveries row)
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,            -- due from then; a claim moves it on by the lease
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
INSERT INTO deliveries_0032 (id, kind, reference, summary, payload_sealed, status, attempts, next_attempt_at,
    last_error, created_at, delivered_at)
SELECT id, kind, reference, summary, payload_sealed, status, attempts, next_attempt_at, last_error, created_at,
    delivered_at FROM deliveries;
-- Every logout delivery so far, in the state it reached.
INSERT INTO deliveries_0032 (id, kind, summary, status, attempts, next_attempt_at, last_error, created_at,
    delivered_at)
SELECT id, 'logout', 'Logout Token to ' || client_id,
    CASE WHEN delivered_at IS NOT NULL THEN 'delivered' WHEN given_up_at IS NOT NULL THEN 'dead' ELSE 'pending' END,
    attempts, next_attempt_at, last_error, created_at, delivered_at
FROM logout_deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_0032 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_created ON deliveries (created_at);
CREATE UNIQUE INDEX deliveries_reference ON deliveries (reference) WHERE reference IS NOT NULL;

-- What is left of logout_deliveries: the token's subject, session and client, the URI and
-- algorithm of then; found by the batch that writes it (created_at) and by the cleanup.
DROP INDEX logout_deliveries_due;
ALTER TABLE logout_deliveries DROP COLUMN attempts;
ALTER TABLE logout_deliveries DROP COLUMN next_attempt_at;
ALTER TABLE logout_deliveries DROP COLUMN delivered_at;
ALTER TABLE logout_deliveries DROP COLUMN given_up_at;
ALTER TABLE logout_deliveries DROP COLUMN last_error;
CREATE INDEX logout_deliveries_created ON logout_deliveries (created_at);
