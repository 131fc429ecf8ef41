//! The `password_history` table (migrations/0013): a user's earlier password hashes, the
//! newest `PASSWORD_HISTORY_COUNT − 1` kept; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

/// The newest earlier hashes of ?1, at most ?2.
const NEWEST_SQL: &str =
    "SELECT password_hash FROM password_history WHERE user_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2";

const INSERT_SQL: &str = "INSERT INTO password_history (user_id, password_hash, created_at) VALUES (?1, ?2, ?3)";

/// Keeps the newest ?2 of ?1's earlier hashes.
const PRUNE_SQL: &str = "DELETE FROM password_history WHERE user_id = ?1 AND rowid NOT IN \
(SELECT rowid FROM password_history WHERE user_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2)";

/// The user's newest `limit` earlier hashes (`password_hash`).
pub fn newest(user_id: &str, limit: u32) -> Statement<'static> {
    (NEWEST_SQL, vec![user_id.into(), limit.into()])
}

/// Remembers a replaced hash.
pub fn insert(user_id: &str, password_hash: &str, now: UnixTime) -> Statement<'static> {
    (INSERT_SQL, vec![user_id.into(), password_hash.into(), now.into()])
}

/// Forgets all but the user's newest `kept` hashes.
pub fn keep_newest(user_id: &str, kept: u32) -> Statement<'static> {
    (PRUNE_SQL, vec![user_id.into(), kept.into()])
}
