//! The `device_codes` table (migrations/0005, 0014): one device authorization (RFC 8628),
//! pending → approved/denied → consumed; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM device_codes WHERE rowid IN (SELECT rowid FROM device_codes WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` device authorizations past their expiry.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
