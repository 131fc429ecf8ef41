-- What a scope requires (docs/api.md, "Scopes"): the names of other scopes, as a JSON
-- list, granted with it wherever it is granted (`/authorize`, `/token`, `/device`) and shown
-- on the consent screen. A client may be granted a scope only when it may be granted what
-- that requires.
ALTER TABLE scopes ADD COLUMN requires TEXT NOT NULL DEFAULT '[]';
