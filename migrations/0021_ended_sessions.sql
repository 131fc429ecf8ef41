-- Browser sessions that were ended (sign-out, /logout, an admin, a reset, a deactivation)
-- while REVOKE_TOKENS_ON_SESSION_END is on, kept while an access token issued in them could
-- still be presented. Access tokens carry their session as `sid`; introspection and
-- UserInfo answer inactive for a token whose session is here, in the statement they
-- already run (docs/security.md, "Signing out"). A session that merely expired is not
-- here: its offline refresh tokens go on.
CREATE TABLE ended_sessions (
    session_id  TEXT PRIMARY KEY NOT NULL,   -- the session's id (sessions.id_hash, the tokens' sid)
    user_id     TEXT NOT NULL,
    ended_at    INTEGER NOT NULL,
    keep_until  INTEGER NOT NULL             -- ended_at + the longest access-token lifetime
);
CREATE INDEX ended_sessions_keep ON ended_sessions (keep_until);
