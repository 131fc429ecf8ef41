-- Pushed authorization requests (RFC 9126; docs/api.md, "Pushed authorization requests"):
-- each pushed request until its request_uri is used once or 60 s pass. The request_uri is
-- random; only its SHA-256 is kept, with the client that pushed it (§4: no other may use it).
CREATE TABLE pushed_authorization_requests (
    uri_hash    TEXT PRIMARY KEY,            -- SHA-256 of the request_uri's random part
    client_id   TEXT NOT NULL,
    params      TEXT NOT NULL,               -- the request's parameters, form-encoded
    expires_at  INTEGER NOT NULL
);
CREATE INDEX pushed_authorization_requests_expiry ON pushed_authorization_requests (expires_at);

-- RFC 9449 §10: the DPoP key (its RFC 7638 thumbprint) a code is bound to (dpop_jkt at
-- /authorize or PAR): the code is redeemed only with a proof of that key.
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;

-- Client metadata: RFC 9126 §6 require_pushed_authorization_requests; RFC 9101 §10.1
-- request_object_signing_alg; security_profile `fapi2` (FAPI 2.0 Security Profile, the
-- rules in docs/api.md, "FAPI 2.0 profile").
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN request_object_signing_alg TEXT;
ALTER TABLE clients ADD COLUMN security_profile TEXT;
