-- Signing keys for JWTs (access tokens, ID tokens, signed metadata).
--
-- One key signs ('active'); keys kept after a rotation only verify ('verify') and stay in
-- the JWKS until the last token they signed has expired; 'retired' keys are kept for the
-- audit trail but no longer published.
--
-- The private key is PKCS#8 DER sealed with AES-256-GCM under a key derived from the
-- SECRET_KEY secret by HKDF-SHA256; the kid is bound as associated data, so a sealed key
-- cannot be moved to another row. Format: v1.<nonce b64url>.<ciphertext+tag b64url>.
CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY NOT NULL,   -- RFC 7638 JWK thumbprint
    alg             TEXT NOT NULL CHECK (alg IN ('RS256')),
    status          TEXT NOT NULL CHECK (status IN ('active', 'verify', 'retired')),
    public_n        TEXT NOT NULL,               -- RSA modulus, base64url (RFC 7518 §6.3.1.1)
    public_e        TEXT NOT NULL,               -- RSA exponent, base64url
    private_key_sealed TEXT NOT NULL,
    created_at      INTEGER NOT NULL,            -- unix seconds
    -- When a 'verify' key may leave the JWKS (the expiry of the last token it signed).
    publish_until   INTEGER
);

-- At most one active signer. Two isolates that both find no key both generate one; the
-- second INSERT ... ON CONFLICT DO NOTHING changes no row and that isolate uses the winner.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active';
