//! The `pushed_authorization_requests` table (migrations/0029): a pushed authorization
//! request (RFC 9126 §2) until its `request_uri` is used once (§4) or expires.

use serde::Deserialize;

use crate::engine::platform::ports::{Statement, UnixTime};

/// ?1 hash of the request_uri, ?2 client, ?3 parameters, ?4 until when.
const INSERT_SQL: &str =
    "INSERT INTO pushed_authorization_requests (uri_hash, client_id, params, expires_at) VALUES (?1, ?2, ?3, ?4)";

pub fn insert(uri_hash: &str, client_id: &str, params: &str, expires_at: UnixTime) -> Statement<'static> {
    (INSERT_SQL, vec![uri_hash.into(), client_id.into(), params.into(), expires_at.into()])
}

/// RFC 9126 §4: once, by the client that pushed it, before it expires. The row goes
/// whatever the outcome of the request it carries. ?1 hash, ?2 client, ?3 now.
const TAKE_SQL: &str = "DELETE FROM pushed_authorization_requests WHERE uri_hash = ?1 AND client_id = ?2 \
RETURNING params, expires_at > ?3 AS live";

/// Takes a pushed request: its row (parameters and whether it is still live), gone from
/// the table after this statement; no row when it was used, never pushed, or pushed by
/// another client (whose request stays usable by it).
pub fn take(uri_hash: &str, client_id: &str, now: UnixTime) -> Statement<'static> {
    (TAKE_SQL, vec![uri_hash.into(), client_id.into(), now.into()])
}

/// A row of [`take`].
#[derive(Debug, Deserialize)]
pub struct Taken {
    pub params: String,
    pub live: f64,
}

const DELETE_EXPIRED_SQL: &str = "DELETE FROM pushed_authorization_requests WHERE rowid IN \
(SELECT rowid FROM pushed_authorization_requests WHERE expires_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` requests that can no longer be used.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}
