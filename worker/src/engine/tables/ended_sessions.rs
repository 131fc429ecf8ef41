//! The `ended_sessions` table (migrations/0021): a session ended on purpose, kept while an
//! access token issued in it (its `sid`) could still be presented; every statement on it.
//! Read by `tables::access_token_state`.

use crate::engine::platform::ports::{SqlArg, Statement, UnixTime};
use crate::engine::tables::sessions::{bulk_filter, BULK_LIMIT};

const INSERT_SQL: &str = "INSERT INTO ended_sessions (session_id, user_id, ended_at, keep_until) \
VALUES (?1, ?2, ?3, ?4) ON CONFLICT (session_id) DO NOTHING";

/// The sessions a bulk end is about to delete (the same filter and limit as
/// `tables::sessions::bulk_delete`, so it runs first in the same batch): ?1..?4 the bulk
/// filter's, ?5 the limit, ?6 keep until.
const INSERT_BULK_SQL: &str = concat!(
    "INSERT INTO ended_sessions (session_id, user_id, ended_at, keep_until) \
SELECT id_hash, user_id, ?1, ?7 FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE ",
    bulk_filter!(),
    " LIMIT ?6) ON CONFLICT (session_id) DO NOTHING"
);

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM ended_sessions WHERE rowid IN (SELECT rowid FROM ended_sessions WHERE keep_until < ?1 LIMIT ?2)";

/// The session `session_id` of `user_id` ended at `now`.
pub fn insert(session_id: &str, user_id: &str, now: UnixTime, keep_until: UnixTime) -> Statement<'static> {
    (INSERT_SQL, vec![session_id.into(), user_id.into(), now.into(), keep_until.into()])
}

/// Every session the bulk filter matches ends; `args` from `tables::sessions::bulk_args`.
pub fn insert_bulk(mut args: Vec<SqlArg>, keep_until: UnixTime) -> Statement<'static> {
    args.push(BULK_LIMIT.into());
    args.push(keep_until.into());
    (INSERT_BULK_SQL, args)
}

/// Cleanup: up to `limit` ended sessions no access token of which can still be live.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
