-- Scopes under the admin API (contract "Admin and account API", Scopes): each gets an
-- id (the API's handle, stable across a rename), the user claims it releases (a JSON
-- list; a system scope's are fixed by OIDC Core §5.4 and stay '[]' here), a system flag
-- (never deleted or renamed) and updated_at. SQLite cannot add a primary key in place,
-- so the table is rebuilt; its rows keep their names, descriptions and flags.
CREATE TABLE scopes_v2 (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    claims      TEXT NOT NULL DEFAULT '[]',
    system      INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO scopes_v2 (id, name, description, is_default, claims, system, created_at, updated_at)
SELECT lower(hex(randomblob(16))), name, description, is_default, '[]',
       CASE WHEN name IN ('openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'admin',
                          'introspection') THEN 1 ELSE 0 END,
       created_at, created_at
FROM scopes;
DROP TABLE scopes;
ALTER TABLE scopes_v2 RENAME TO scopes;
