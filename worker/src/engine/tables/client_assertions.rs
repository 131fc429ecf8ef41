//! The `client_assertions` table (migrations/0026): the `jti` of each `private_key_jwt`
//! assertion accepted, until it expires, so that each works once (RFC 7523 §3 item 7).

use crate::engine::platform::ports::{Statement, UnixTime};

/// ?1 client, ?2 SHA-256 of the jti, ?3 when the assertion expires. Changes one row the
/// first time, none after (the primary key).
const RECORD_SQL: &str =
    "INSERT INTO client_assertions (client_id, jti_hash, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";

/// Records an accepted assertion's jti: 1 row changed the first time, 0 for a replay.
pub fn record(client_id: &str, jti_hash: &str, expires_at: UnixTime) -> Statement<'static> {
    (RECORD_SQL, vec![client_id.into(), jti_hash.into(), expires_at.into()])
}

const DELETE_EXPIRED_SQL: &str = "DELETE FROM client_assertions WHERE rowid IN \
(SELECT rowid FROM client_assertions WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` jtis of assertions expired before `before` (a replay of one
/// fails on `exp` then).
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
