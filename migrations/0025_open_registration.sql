-- Open registration (RFC 7591 §3 without an initial access token; docs/api.md, "Open
-- registration"): a self-registered client, the hash of its registration access token
-- (RFC 7592 §3), and when a code was last exchanged through it (the cleanup deletes the
-- ones unused for OPEN_REGISTRATION_UNUSED_DAYS).
ALTER TABLE clients ADD COLUMN self_registered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;
ALTER TABLE clients ADD COLUMN last_used_at INTEGER;
CREATE INDEX clients_self_registered ON clients (self_registered, last_used_at) WHERE self_registered = 1;
