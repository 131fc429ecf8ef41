-- Token exchange (RFC 8693; docs/api.md, "Token exchange"): the client a protected
-- resource's server authenticates as. It may exchange the access tokens issued for that
-- resource (a server calling another service on the user's behalf).
ALTER TABLE resources ADD COLUMN client_id TEXT;
