-- OIDC Dynamic Client Registration §2 application_type: 'web' (default) or 'native'.
-- Native apps (RFC 8252) may register private-use scheme redirect URIs, and only native
-- public clients get the loopback any-port rule (§7.3).
ALTER TABLE clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web'
  CHECK (application_type IN ('web', 'native'));
