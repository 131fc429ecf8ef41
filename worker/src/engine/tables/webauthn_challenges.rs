//! The `webauthn_challenges` table (migrations/0015): one WebAuthn ceremony's challenge,
//! taken once by its answer; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM webauthn_challenges WHERE rowid IN (SELECT rowid FROM webauthn_challenges WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` ceremony challenges past their expiry.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}

const INSERT_SQL: &str =
    "INSERT INTO webauthn_challenges (challenge_hash, purpose, user_id, expires_at) VALUES (?1, ?2, ?3, ?4)";
/// Takes a challenge once: of two answers with the same challenge, one gets the row.
const TAKE_SQL: &str = "DELETE FROM webauthn_challenges WHERE challenge_hash = ?1 AND purpose = ?2 \
AND expires_at > ?3 RETURNING user_id";

pub fn insert(challenge_hash: &str, purpose: &str, user_id: Option<&str>, expires_at: UnixTime) -> Statement<'static> {
    (INSERT_SQL, vec![challenge_hash.into(), purpose.into(), user_id.into(), expires_at.into()])
}

/// Takes a live challenge of `purpose` once; returns `user_id` when it was there.
pub fn take(challenge_hash: &str, purpose: &str, now: UnixTime) -> Statement<'static> {
    (TAKE_SQL, vec![challenge_hash.into(), purpose.into(), now.into()])
}
