-- RFC 9700 §4.14.2: a refresh-token family ends at an absolute time
-- (REFRESH_TOKEN_MAX_LIFETIME after its first token), however often it rotates.
-- NULL: no cap (families issued before this migration, or a lifetime of 0).
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at INTEGER;
