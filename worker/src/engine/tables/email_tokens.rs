//! The `email_tokens` table (migrations/0004): a mailed link (verification, password
//! reset), its hash only; a newer one retires older ones.

use crate::engine::identity::accounts::store::{EmailToken, Purpose};
use crate::engine::platform::ports::{Statement, UnixTime};

const RETIRE_SQL: &str = "UPDATE email_tokens SET used_at = ?3 WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL";
const INSERT_SQL: &str = "INSERT INTO email_tokens (token_hash, purpose, user_id, email, created_at, \
expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const SPEND_SQL: &str = "UPDATE email_tokens SET used_at = ?3 WHERE token_hash = ?1 AND purpose = ?2 \
AND used_at IS NULL AND expires_at > ?3 RETURNING user_id, email";
const LIVE_SQL: &str = "SELECT user_id, email FROM email_tokens WHERE token_hash = ?1 AND purpose = ?2 \
AND used_at IS NULL AND expires_at > ?3";
const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM email_tokens WHERE rowid IN (SELECT rowid FROM email_tokens WHERE expires_at < ?1 LIMIT ?2)";

/// Retires the user's unused links of `purpose` (before a new one is stored: only the
/// newest works).
pub fn retire_unused(user_id: &str, purpose: Purpose, now: UnixTime) -> Statement<'static> {
    (RETIRE_SQL, vec![user_id.into(), purpose.as_str().into(), now.into()])
}

pub fn insert(t: &EmailToken) -> Statement<'static> {
    let args = vec![
        (&t.token_hash).into(),
        t.purpose.as_str().into(),
        (&t.user_id).into(),
        (&t.email).into(),
        t.created_at.into(),
        t.expires_at.into(),
    ];
    (INSERT_SQL, args)
}

/// Spends a live link once (a conditional UPDATE); returns `user_id, email`.
pub fn spend(token_hash: &str, purpose: Purpose, now: UnixTime) -> Statement<'static> {
    (SPEND_SQL, vec![token_hash.into(), purpose.as_str().into(), now.into()])
}

/// A live link without spending it; returns `user_id, email`.
pub fn live(token_hash: &str, purpose: Purpose, now: UnixTime) -> Statement<'static> {
    (LIVE_SQL, vec![token_hash.into(), purpose.as_str().into(), now.into()])
}

/// Cleanup: up to `limit` links past their expiry.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
