-- Outbound deliveries (docs/delivery.md): every message the server sends to someone else
-- (mail, webhooks, audit batches; logout tokens as they move here) is a row first,
-- delivered through the Queue (or the Cron sweep) with retries until it is delivered or
-- dead. The row's id is the idempotency key the receiver sees (a mail's Message-ID).
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY NOT NULL,   -- UUID v4
    kind             TEXT NOT NULL CHECK (kind IN ('mail', 'webhook', 'audit')),
    reference        TEXT,                        -- a webhook's audit entry and URL, an audit batch's sink and first entry
    summary          TEXT NOT NULL,               -- what it is, for the console (a template and address)
    payload_sealed   TEXT,                        -- the message as sent, AES-GCM under SECRET_KEY; NULL once delivered
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,            -- due from then; a claim moves it on by the lease
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_created ON deliveries (created_at);
CREATE UNIQUE INDEX deliveries_reference ON deliveries (reference) WHERE reference IS NOT NULL;

-- The audit push (docs/delivery.md, "Audit push"): per sink, the last audit entry put in a
-- batch (its timestamp and rowid, the log's order); the next batch starts after it.
CREATE TABLE audit_push_cursors (
    sink             TEXT PRIMARY KEY NOT NULL,   -- syslog, splunk or elasticsearch
    after_timestamp  INTEGER NOT NULL,
    after_rowid      INTEGER NOT NULL
);
