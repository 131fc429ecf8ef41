//! The `webauthn_challenges` table (migrations/0015): one WebAuthn ceremony's challenge,
//! taken once by its answer; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM webauthn_challenges WHERE rowid IN (SELECT rowid FROM webauthn_challenges WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` ceremony challenges past their expiry.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
