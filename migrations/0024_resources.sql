-- Protected resources (RFC 8707 resource indicators; docs/api.md, "Resources"): the
-- services an access token may be meant for, its `aud`.
CREATE TABLE resources (
    id                TEXT PRIMARY KEY NOT NULL,
    identifier        TEXT NOT NULL UNIQUE,      -- absolute URI, no fragment (RFC 8707 §2)
    name              TEXT NOT NULL,
    scopes            TEXT NOT NULL DEFAULT '[]', -- JSON list: what its tokens may carry
    access_token_ttl  INTEGER,                   -- NULL: the client's or ACCESS_TOKEN_TTL
    signing_alg       TEXT,                      -- NULL: SIGNING_ALG
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- The resources a client may ask tokens for (JSON list of identifiers); '[]': any.
ALTER TABLE clients ADD COLUMN allowed_resources TEXT NOT NULL DEFAULT '[]';

-- What a grant was given for (JSON list of identifiers; NULL: no resource named, the
-- token's audience is the client as before): the code, the refresh-token family and the
-- device code carry it to the token they lead to.
ALTER TABLE authorization_codes ADD COLUMN resources TEXT;
ALTER TABLE refresh_tokens ADD COLUMN resources TEXT;
ALTER TABLE device_codes ADD COLUMN resources TEXT;
