-- The token service's data: users, clients and their secrets, scopes, refresh tokens,
-- revoked access tokens and the audit log. Times are unix seconds; booleans are 0/1.

-- People who sign in. Email is unique case-insensitively (the NOCASE index); passwords
-- are argon2id PHC strings. Lockout and MFA columns follow the seed's user model.
CREATE TABLE users (
    id                    TEXT PRIMARY KEY NOT NULL,          -- UUID v4
    email                 TEXT NOT NULL,
    password_hash         TEXT,                               -- argon2id; NULL: no password sign-in
    name                  TEXT,
    given_name            TEXT,
    family_name           TEXT,
    picture               TEXT,
    locale                TEXT,
    phone_number          TEXT,
    phone_number_verified INTEGER NOT NULL DEFAULT 0 CHECK (phone_number_verified IN (0, 1)),
    address               TEXT,                               -- OIDC Core §5.1.1 address, JSON
    email_verified        INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    role                  TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('super_admin', 'admin', 'user')),
    active                INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    failed_attempts       INTEGER NOT NULL DEFAULT 0,
    locked_at             INTEGER,
    locked_until          INTEGER,
    lockout_count         INTEGER NOT NULL DEFAULT 0,         -- for PROGRESSIVE_LOCKOUT
    mfa_enabled           INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enabled IN (0, 1)),
    mfa_secret_sealed     TEXT,                               -- TOTP secret, sealed like signing keys
    mfa_configured_at     INTEGER,
    password_changed_at   INTEGER,
    last_login_at         INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);
-- At most one bootstrap: the first super_admin is created with INSERT ... WHERE NOT EXISTS.
CREATE INDEX users_role ON users (role);

-- OAuth clients (RFC 7591 metadata). JSON arrays are stored as JSON text.
CREATE TABLE clients (
    client_id                  TEXT PRIMARY KEY NOT NULL,
    client_name                TEXT NOT NULL,
    client_type                TEXT NOT NULL CHECK (client_type IN ('confidential', 'public')),
    token_endpoint_auth_method TEXT NOT NULL
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
    redirect_uris              TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris  TEXT NOT NULL DEFAULT '[]',
    grant_types                TEXT NOT NULL DEFAULT '[]',
    response_types             TEXT NOT NULL DEFAULT '[]',
    scopes                     TEXT NOT NULL DEFAULT '[]',    -- what the client may be granted
    access_token_ttl           INTEGER,                       -- NULL: ACCESS_TOKEN_TTL
    refresh_token_ttl          INTEGER,                       -- NULL: REFRESH_TOKEN_TTL
    refresh_token_rotation     INTEGER CHECK (refresh_token_rotation IN (0, 1)), -- NULL: the var
    logo_uri                   TEXT,
    client_uri                 TEXT,
    tos_uri                    TEXT,
    policy_uri                 TEXT,
    contacts                   TEXT NOT NULL DEFAULT '[]',
    first_party                INTEGER NOT NULL DEFAULT 0 CHECK (first_party IN (0, 1)),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);

-- Client secrets: SHA-256 of 256-bit random secrets (not argon2: they are not guessable,
-- and hashing them must stay cheap). Several may be live for zero-downtime rotation.
CREATE TABLE client_secrets (
    secret_id   TEXT PRIMARY KEY NOT NULL,
    client_id   TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,                                -- SHA-256, base64url
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER                                       -- NULL: never
);
CREATE INDEX client_secrets_client ON client_secrets (client_id);

-- Scopes the server knows; `is_default` scopes are granted when a request names none.
CREATE TABLE scopes (
    name        TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL
);
INSERT INTO scopes (name, description, is_default, created_at) VALUES
    ('openid', 'Sign you in with your account', 1, 0),
    ('profile', 'Read your name, picture and locale', 0, 0),
    ('email', 'Read your email address', 0, 0),
    ('address', 'Read your postal address', 0, 0),
    ('phone', 'Read your phone number', 0, 0),
    ('offline_access', 'Stay signed in when you are away', 0, 0),
    ('admin', 'Administer this server', 0, 0);

-- Refresh tokens, stored only as SHA-256 hashes. A family is one grant's chain of
-- rotations; reuse of a rotated token after the grace period revokes the family.
CREATE TABLE refresh_tokens (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    family_id     TEXT NOT NULL,
    parent_hash   TEXT,
    client_id     TEXT NOT NULL,
    user_id       TEXT,                                       -- NULL for client-only grants
    scope         TEXT NOT NULL,
    auth_time     INTEGER,
    session_id    TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    rotated_at    INTEGER,                                    -- set once, atomically
    successor_hash TEXT,
    -- The successor's plaintext sealed under SECRET_KEY, so a retry within the grace
    -- period gets the same successor back; erased when the grace period is over.
    successor_sealed TEXT,
    revoked_at    INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Access tokens are self-contained JWTs; revoking one records its jti until it expires.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    client_id  TEXT,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL
);
-- Revoking every token of a client (client deletion) records a cut-off time instead of
-- every jti: tokens issued to the client before it are refused.
CREATE TABLE client_token_cutoffs (
    client_id   TEXT PRIMARY KEY NOT NULL,
    revoked_before INTEGER NOT NULL
);

-- Security-relevant events (seed: audit log entries).
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY NOT NULL,                  -- UUID v4
    timestamp     INTEGER NOT NULL,
    event         TEXT NOT NULL,
    actor_id      TEXT,
    actor_type    TEXT CHECK (actor_type IN ('user', 'client', 'system')),
    resource_type TEXT,
    resource_id   TEXT,
    ip_address    TEXT,
    user_agent    TEXT,
    metadata      TEXT NOT NULL DEFAULT '{}'                  -- JSON
);
CREATE INDEX audit_log_timestamp ON audit_log (timestamp);
CREATE INDEX audit_log_event ON audit_log (event, timestamp);
CREATE INDEX audit_log_actor ON audit_log (actor_id, timestamp);
