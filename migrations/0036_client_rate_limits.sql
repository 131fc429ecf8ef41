-- A client's own rate limits (docs/api.md, "Client rate limits"): `{"token": {"max":
-- 1000, "window": 60}}` as JSON, set by an admin; NULL follows the global RATE_LIMIT_TOKEN_*.
ALTER TABLE clients ADD COLUMN rate_limits TEXT;
