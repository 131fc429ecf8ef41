-- JWT client authentication (RFC 7523 §2.2, OIDC Core §9 private_key_jwt): a client's
-- public keys, inline (`jwks`, a JWK set) or where to fetch them (`jwks_uri`).
--
-- SQLite cannot change a CHECK constraint, so `clients` is rebuilt to admit
-- 'private_key_jwt'. Dropping `clients` would delete the rows of `client_secrets` (its
-- foreign key cascades), so they are kept aside first and put back after the rename
-- (which points client_secrets' foreign key at the new table).
CREATE TABLE client_secrets_kept AS SELECT * FROM client_secrets;

CREATE TABLE clients_v2 (
    client_id                  TEXT PRIMARY KEY NOT NULL,
    client_name                TEXT NOT NULL,
    client_type                TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
    token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN
        ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')),
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
    jwks_uri                   TEXT
);

INSERT INTO clients_v2 (client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris,
    post_logout_redirect_uris, grant_types, response_types, scopes, access_token_ttl, refresh_token_ttl,
    refresh_token_rotation, logo_uri, client_uri, tos_uri, policy_uri, contacts, first_party, created_at, updated_at,
    application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required,
    allowed_resources, self_registered, registration_token_hash, last_used_at)
SELECT client_id, client_name, client_type, token_endpoint_auth_method, redirect_uris,
    post_logout_redirect_uris, grant_types, response_types, scopes, access_token_ttl, refresh_token_ttl,
    refresh_token_rotation, logo_uri, client_uri, tos_uri, policy_uri, contacts, first_party, created_at, updated_at,
    application_type, id_token_signed_response_alg, backchannel_logout_uri, backchannel_logout_session_required,
    allowed_resources, self_registered, registration_token_hash, last_used_at
FROM clients;

DROP TABLE clients;
ALTER TABLE clients_v2 RENAME TO clients;
CREATE INDEX clients_self_registered ON clients (self_registered, last_used_at) WHERE self_registered = 1;

DELETE FROM client_secrets;
INSERT INTO client_secrets SELECT * FROM client_secrets_kept;
DROP TABLE client_secrets_kept;

-- The `jti` of each client assertion accepted, until it expires: an assertion works once
-- (RFC 7523 §3 item 7).
CREATE TABLE client_assertions (
    client_id   TEXT NOT NULL,
    jti_hash    TEXT NOT NULL,               -- SHA-256 of the jti
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti_hash)
);
CREATE INDEX client_assertions_expiry ON client_assertions (expires_at);
