//! The `audit_log` table (migrations/0002): one security-relevant event per row; every
//! statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const DELETE_OLDER_SQL: &str =
    "DELETE FROM audit_log WHERE rowid IN (SELECT rowid FROM audit_log WHERE timestamp < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` entries older than `before` (`AUDIT_LOG_RETENTION_DAYS`).
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}
