-- Settings an admin changed at run time (PATCH /api/settings, contract "Configuration"):
-- each overrides the var of the same name. Only the names in
-- engine::platform::config::RUNTIME_SETTINGS are read from here, whatever the table holds.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT                                             -- the admin's user or client id
);
