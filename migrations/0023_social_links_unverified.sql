-- A provider identity linked while the account's address was not yet proven (a social
-- sign-up from an address the provider does not vouch for, with verification off). When a
-- mailed link later proves the address (verification, password reset), these links go:
-- whoever made them never showed they own the mailbox (docs/security.md, "Provider
-- accounts").
ALTER TABLE social_identities ADD COLUMN linked_unverified INTEGER NOT NULL DEFAULT 0;
