//! The `audit_push_cursors` table (migrations/0030): per audit-push sink, the last audit
//! entry put in a batch (docs/delivery.md, "Audit push").

use crate::engine::platform::ports::{Statement, UnixTime};

const SET_SQL: &str = "INSERT INTO audit_push_cursors (sink, after_timestamp, after_rowid) VALUES (?1, ?2, ?3) \
ON CONFLICT (sink) DO UPDATE SET after_timestamp = ?2, after_rowid = ?3";

/// The sink's cursor moved to the entry at (`timestamp`, `rowid`), in the batch that
/// records the delivery of the entries up to it.
pub fn set(sink: &str, timestamp: UnixTime, rowid: i64) -> Statement<'static> {
    (SET_SQL, vec![sink.into(), timestamp.into(), rowid.into()])
}
