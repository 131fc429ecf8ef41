-- client_secret_jwt (OIDC Core §9; docs/api.md, "Client authentication"): the method is
-- admitted by the `clients` CHECK constraint, and a client secret is kept sealed under
-- SECRET_KEY beside its hash (`client_secrets.secret_sealed`, the HMAC key of this method's
-- assertions; NULL for every other method, whose secrets are kept as hashes only).
--
-- SQLite cannot change a CHECK constraint, so `clients` is rebuilt as 0026 did; its
-- secrets are kept aside first (dropping `clients` cascades into them) and `client_secrets`
-- is rebuilt with the new column, copying the columns every deployment has. A database
-- that ran an earlier draft of 0026 had `secret_sealed` already: its client_secret_jwt
-- clients renew their secret once (`POST /register/{id}/renew_secret`).
CREATE TABLE client_secrets_kept AS
    SELECT secret_id, client_id, secret_hash, created_at, expires_at FROM client_secrets;

CREATE TABLE clients_v3 (
    client_id                  TEXT PRIMARY KEY NOT NULL,
    client_name                TEXT NOT NULL,
    client_type                TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
    token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN
        ('client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none')),
    redirect_uris              TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris  TEXT NOT NULL DEFAULT '[]',
    grant_types                TEXT NOT NULL DEFAULT '[]',
    response_types             TEXT NOT NULL DEFAULT '[]',
    scopes                     TEXT NOT NULL DEFAULT '[]',
    access_token_ttl           INTEGER,
    refresh_token_ttl          INTEGER,
    refresh_token_rotation     INTEGER CHECK (refresh_token_rotation IN (0, 1)),
    logo_uri                   TEXT,
    client_uri                 TEXT,
    tos_uri                    TEXT,
    policy_uri                 TEXT,
    contacts                   TEXT NOT NULL DEFAULT '[]',
    first_party                INTEGER NOT NULL DEFAULT 0 CHECK (first_party IN (0, 1)),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    application_type           TEXT NOT NULL DEFAULT 'web' CHECK (application_type IN ('web', 'native')),
    id_token_signed_response_alg TEXT,
    backchannel_logout_uri     TEXT,
    backchannel_logout_session_required INTEGER NOT NULL DEFAULT 0,
    allowed_resources          TEXT NOT NULL DEFAULT '[]',
    self_registered            INTEGER NOT NULL DEFAULT 0,
    registration_token_hash    TEXT,
    last_used_at               INTEGER,
    jwks                       TEXT,
    jwks_uri                   TEXT,
    dpop_bound_access_tokens   INTEGER NOT NULL DEFAULT 0,
    require_pushed_authorization_requests INTEGER NOT NULL DEFAULT 0,
    request_object_signing_alg TEXT,
    security_profile           TEXT
);

INSERT INTO clients_v3 (client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris,
    post_logout_redirect_uris, grant_types, response_types, scopes, access_token_ttl, refresh_token_ttl,
    refresh_token_rotation, logo_uri, client_uri, tos_uri, policy_uri, contacts, first_party, created_at, updated_at,
    application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required,
    allowed_resources, self_registered, registration_token_hash, last_used_at, jwks, jwks_uri,
    dpop_bound_access_tokens, require_pushed_authorization_requests, request_object_signing_alg, security_profile)
SELECT client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris,
    post_logout_redirect_uris, grant_types, response_types, scopes, access_token_ttl, refresh_token_ttl,
    refresh_token_rotation, logo_uri, client_uri, tos_uri, policy_uri, contacts, first_party, created_at, updated_at,
    application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required,
    allowed_resources, self_registered, registration_token_hash, last_used_at, jwks, jwks_uri,
    dpop_bound_access_tokens, require_pushed_authorization_requests, request_object_signing_alg, security_profile
FROM clients;

DROP TABLE client_secrets;
DROP TABLE clients;
ALTER TABLE clients_v3 RENAME TO clients;
CREATE INDEX clients_self_registered ON clients (self_registered, last_used_at) WHERE self_registered = 1;

CREATE TABLE client_secrets (
    secret_id     TEXT PRIMARY KEY NOT NULL,
    client_id     TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    secret_hash   TEXT NOT NULL,                              -- SHA-256, base64url
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,                                    -- NULL: never
    secret_sealed TEXT                                        -- client_secret_jwt only
);
CREATE INDEX client_secrets_client ON client_secrets (client_id);
INSERT INTO client_secrets (secret_id, client_id, secret_hash, created_at, expires_at)
    SELECT secret_id, client_id, secret_hash, created_at, expires_at FROM client_secrets_kept;
DROP TABLE client_secrets_kept;
