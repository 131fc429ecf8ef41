-- Sign-in with other identity providers (contract: /auth/{provider}): one row per
-- provider identity, linked to one account. The provider's `sub` is stable and unique
-- within its issuer (OIDC Core §2), so (provider, subject) names the identity.
CREATE TABLE social_identities (
    provider      TEXT NOT NULL,                                -- the configured name: /auth/{provider}
    subject       TEXT NOT NULL,                                -- the provider's `sub`
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT,                                         -- as the provider last asserted it
    linked_at     INTEGER NOT NULL,
    last_login_at INTEGER,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX social_identities_user ON social_identities (user_id);
