-- The provider's access and refresh tokens beside a linked identity, kept only with
-- SOCIAL_STORE_PROVIDER_TOKENS=true: AES-256-GCM under a key derived from SECRET_KEY
-- (purpose "provider-tokens"), the provider and subject as associated data, so a row's
-- tokens cannot be moved to another identity. NULL when not kept; cleared at the next
-- sign-in once the setting is off.
ALTER TABLE social_identities ADD COLUMN tokens TEXT;
ALTER TABLE social_identities ADD COLUMN tokens_updated_at INTEGER;
