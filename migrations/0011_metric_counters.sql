-- Counters behind /metrics (engine/ops/metrics.rs): each isolate adds its counts here at
-- most every 10 s, after answering, so they survive isolates without a storage round
-- trip on the token path. Series are bounded: labels are grant types, registered client
-- ids, error codes, audit event names and rate-limit buckets, never free text.
CREATE TABLE metric_counters (
    name       TEXT NOT NULL,
    labels     TEXT NOT NULL,                                   -- rendered: grant="password",client="x"
    value      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (name, labels)
);
