-- Where a browser session began, as Cloudflare placed the sign-in's address ("San
-- Francisco, CA"; docs/security.md, "Sessions"): shown in session lists and the
-- new-sign-in mail beside the device read from the user agent. NULL for sessions begun
-- before, and wherever Cloudflare places nothing (local development).
ALTER TABLE sessions ADD COLUMN location TEXT;
