-- Algorithm agility and key rotation: keys for RS256 (RFC 7518 §3.3), ES256 (§3.4) and
-- EdDSA with Ed25519 (RFC 8037), one active per algorithm; a rotation adds a 'pending' key
-- that is published at once and signs from `activate_at` (after every JWKS cache has had
-- time to fetch it); the key it replaces turns 'verify' until the last token it signed has
-- expired (`publish_until`), then 'retired'.
--
-- SQLite cannot change a CHECK constraint, so the table is rebuilt. The public key moves
-- from the RSA-only `public_n`/`public_e` columns to `public_jwk`: the JWK's public
-- members as JSON ({"kty":"RSA","n","e"}, {"kty":"EC","crv":"P-256","x","y"} or
-- {"kty":"OKP","crv":"Ed25519","x"}). The sealing of the private key is unchanged.
CREATE TABLE signing_keys_v2 (
    kid                TEXT PRIMARY KEY NOT NULL,   -- RFC 7638 JWK thumbprint
    alg                TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'verify', 'retired')),
    public_jwk         TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    created_at         INTEGER NOT NULL,            -- unix seconds
    activate_at        INTEGER,                     -- pending: when it starts signing
    publish_until      INTEGER                      -- verify: when it leaves the JWKS
);

INSERT INTO signing_keys_v2 (kid, alg, status, public_jwk, private_key_sealed, created_at, activate_at, publish_until)
SELECT kid, alg, status, json_object('kty', 'RSA', 'n', public_n, 'e', public_e), private_key_sealed, created_at,
       NULL, publish_until
FROM signing_keys;

DROP TABLE signing_keys;
ALTER TABLE signing_keys_v2 RENAME TO signing_keys;

-- At most one active and one pending key per algorithm; two isolates that both find no
-- key both generate one, and the second INSERT ... ON CONFLICT DO NOTHING changes nothing.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE status = 'active';
CREATE UNIQUE INDEX signing_keys_one_pending ON signing_keys (alg) WHERE status = 'pending';

-- OIDC Registration §2: the algorithm of a client's ID tokens (NULL: RS256).
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT;
