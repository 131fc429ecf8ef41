//! The `logout_deliveries` table (migrations/0022, 0032): what one Logout Token tells whom
//! (OpenID Connect Back-Channel Logout 1.0 §2.5), written in the batch that ends the
//! session together with its `deliveries` row (kind `logout`, same id), which carries when
//! and how it went (docs/delivery.md); every statement on it.

use serde::Deserialize;

use crate::engine::platform::ports::{SqlArg, Statement, UnixTime};
use crate::engine::tables::sessions::{bulk_filter, BULK_LIMIT};

/// A Logout Token for each client of the session ?1 (of user ?2) that registered a
/// `backchannel_logout_uri`; ?3 now. The id (the token's `jti`) is 128 random bits.
const QUEUE_FOR_SESSION_SQL: &str = "INSERT INTO logout_deliveries (id, client_id, session_id, user_id, uri, alg, \
created_at) SELECT lower(hex(randomblob(16))), c.client_id, sc.session_id, ?2, c.backchannel_logout_uri, \
c.id_token_signed_response_alg, ?3 FROM session_clients sc JOIN clients c ON c.client_id = sc.client_id \
WHERE sc.session_id = ?1 AND c.backchannel_logout_uri IS NOT NULL";

/// [`QUEUE_FOR_SESSION_SQL`] for every session a bulk end is about to delete: ?1..?4 the
/// bulk filter's (?1 is now), ?5 the limit.
const QUEUE_BULK_SQL: &str = concat!(
    "INSERT INTO logout_deliveries (id, client_id, session_id, user_id, uri, alg, created_at) \
SELECT lower(hex(randomblob(16))), c.client_id, s.id_hash, s.user_id, c.backchannel_logout_uri, \
c.id_token_signed_response_alg, ?1 FROM sessions s JOIN session_clients sc ON sc.session_id = s.id_hash \
JOIN clients c ON c.client_id = sc.client_id WHERE c.backchannel_logout_uri IS NOT NULL \
AND s.rowid IN (SELECT rowid FROM sessions WHERE ",
    bulk_filter!(),
    " LIMIT ?6)"
);

const BY_ID_SQL: &str = "SELECT id, client_id, session_id, user_id, uri, alg FROM logout_deliveries WHERE id = ?1";

/// Those of a delivery still pending stay: an admin may retry a late one.
const DELETE_OLDER_SQL: &str = "DELETE FROM logout_deliveries WHERE rowid IN \
(SELECT l.rowid FROM logout_deliveries l WHERE l.created_at < ?1 AND NOT EXISTS \
(SELECT 1 FROM deliveries d WHERE d.id = l.id AND d.status = 'pending') LIMIT ?2)";

/// What one Logout Token says, to whom.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub client_id: String,
    pub session_id: String,
    pub user_id: String,
    pub uri: String,
    pub alg: Option<String>,
}

pub fn queue_for_session(session_id: &str, user_id: &str, now: UnixTime) -> Statement<'static> {
    (QUEUE_FOR_SESSION_SQL, vec![session_id.into(), user_id.into(), now.into()])
}

/// `args` from `tables::sessions::bulk_args`.
pub fn queue_bulk(mut args: Vec<SqlArg>) -> Statement<'static> {
    args.push(BULK_LIMIT.into());
    (QUEUE_BULK_SQL, args)
}

pub fn by_id(id: &str) -> Statement<'static> {
    (BY_ID_SQL, vec![id.into()])
}

/// The row [`by_id`] returned, if any.
pub fn decode(rows: Vec<serde_json::Value>) -> Result<Option<Delivery>, serde_json::Error> {
    rows.into_iter().next().map(serde_json::from_value).transpose()
}

/// Cleanup: up to `limit` Logout Tokens written before `before`, but for pending ones.
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}
