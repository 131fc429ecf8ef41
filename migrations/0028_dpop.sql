-- DPoP (RFC 9449; docs/api.md, "DPoP"): each proof's jti, per key, while its iat would
-- still be accepted (a proof works once, in any isolate); and the key a public client's
-- refresh-token family is bound to (§5: refused with another key or none).
CREATE TABLE dpop_proofs (
    jkt         TEXT NOT NULL,               -- RFC 7638 thumbprint of the proof's key
    jti_hash    TEXT NOT NULL,               -- SHA-256 of the jti
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (jkt, jti_hash)
);
CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);

ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;

-- §5.2 client metadata: this client's access tokens must be DPoP-bound.
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens INTEGER NOT NULL DEFAULT 0;
