//! The `mail_outbox` table (migrations/0004): every mail the server wrote, and whether the
//! provider took it; every statement on it.

use crate::engine::platform::ports::{Statement, UnixTime};

const DELETE_OLDER_SQL: &str =
    "DELETE FROM mail_outbox WHERE rowid IN (SELECT rowid FROM mail_outbox WHERE created_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` mails written before `before` (`OUTBOX_RETENTION_DAYS`).
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}
