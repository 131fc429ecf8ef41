-- How many sign-ins the account has completed. A pending sign-in (the sealed
-- `authority_mfa` challenge) names the count it was issued at, so it completes at most
-- once: any completed sign-in of the account spends every challenge issued before it
-- (docs/security.md, "The sign-in challenge").
ALTER TABLE users ADD COLUMN sign_ins INTEGER NOT NULL DEFAULT 0;
