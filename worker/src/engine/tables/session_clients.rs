//! The `session_clients` table (migrations/0022): which clients got a code or tokens in
//! which browser session, so that they are told when it ends (OpenID Connect Back-Channel
//! Logout 1.0); every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const INSERT_SQL: &str = "INSERT INTO session_clients (session_id, client_id, created_at) VALUES (?1, ?2, ?3) \
ON CONFLICT (session_id, client_id) DO NOTHING";

/// [`INSERT_SQL`] only while the session exists (for the batch that prepares a code before
/// the read confirming the session, `oauth::store::user_consent_and_code`).
const INSERT_FOR_LIVE_SESSION_SQL: &str = "INSERT INTO session_clients (session_id, client_id, created_at) \
SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM sessions WHERE id_hash = ?1) \
ON CONFLICT (session_id, client_id) DO NOTHING";

const DELETE_OF_SESSION_SQL: &str = "DELETE FROM session_clients WHERE session_id = ?1";

/// Rows of sessions that cannot be live any more (older than the longest session).
const DELETE_OLDER_SQL: &str =
    "DELETE FROM session_clients WHERE rowid IN (SELECT rowid FROM session_clients WHERE created_at < ?1 LIMIT ?2)";

/// `client_id` got a code or tokens in the session `session_id`.
pub fn insert(session_id: &str, client_id: &str, now: UnixTime) -> Statement<'static> {
    (INSERT_SQL, vec![session_id.into(), client_id.into(), now.into()])
}

/// [`insert`], only while the session's row exists.
pub fn insert_for_live_session(session_id: &str, client_id: &str, now: UnixTime) -> Statement<'static> {
    (INSERT_FOR_LIVE_SESSION_SQL, vec![session_id.into(), client_id.into(), now.into()])
}

/// The session ended: its clients were told (`tables::logout_deliveries::queue_for_session`
/// runs first in the same batch).
pub fn delete_of_session(session_id: &str) -> Statement<'static> {
    (DELETE_OF_SESSION_SQL, vec![session_id.into()])
}

/// Cleanup: up to `limit` rows made before `before` (the longest a session lives).
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}
