-- A client's token cut-off to the millisecond (RFC 7009 §2: a revocation covers the tokens
-- issued before it, not one issued just after it in the same second). Access tokens carry
-- their issue time in milliseconds in their jti (docs/storage.md). An existing cut-off
-- keeps covering its whole second, as it did.
ALTER TABLE client_token_cutoffs ADD COLUMN revoked_before_ms INTEGER NOT NULL DEFAULT 0;
UPDATE client_token_cutoffs SET revoked_before_ms = revoked_before * 1000 + 999;
