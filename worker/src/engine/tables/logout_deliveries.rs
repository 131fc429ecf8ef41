//! The `logout_deliveries` table (migrations/0022): one Logout Token to POST to a client's
//! `backchannel_logout_uri` (OpenID Connect Back-Channel Logout 1.0 §2.5), written in the
//! batch that ends the session and kept until delivered or given up; every statement on it.

use serde::Deserialize;

use crate::engine::platform::ports::{int, SqlArg, Statement, UnixTime};
use crate::engine::tables::sessions::{bulk_filter, BULK_LIMIT};

/// A new delivery for each client of the session ?1 (of user ?2) that registered a
/// `backchannel_logout_uri`; ?3 now. The id (the token's `jti`) is 128 random bits.
const QUEUE_FOR_SESSION_SQL: &str = "INSERT INTO logout_deliveries (id, client_id, session_id, user_id, uri, alg, \
created_at, next_attempt_at) SELECT lower(hex(randomblob(16))), c.client_id, sc.session_id, ?2, \
c.backchannel_logout_uri, c.id_token_signed_response_alg, ?3, ?3 FROM session_clients sc \
JOIN clients c ON c.client_id = sc.client_id WHERE sc.session_id = ?1 AND c.backchannel_logout_uri IS NOT NULL";

/// [`QUEUE_FOR_SESSION_SQL`] for every session a bulk end is about to delete: ?1..?4 the
/// bulk filter's (?1 is now), ?5 the limit.
const QUEUE_BULK_SQL: &str = concat!(
    "INSERT INTO logout_deliveries (id, client_id, session_id, user_id, uri, alg, created_at, next_attempt_at) \
SELECT lower(hex(randomblob(16))), c.client_id, s.id_hash, s.user_id, c.backchannel_logout_uri, \
c.id_token_signed_response_alg, ?1, ?1 FROM sessions s JOIN session_clients sc ON sc.session_id = s.id_hash \
JOIN clients c ON c.client_id = sc.client_id WHERE c.backchannel_logout_uri IS NOT NULL \
AND s.rowid IN (SELECT rowid FROM sessions WHERE ",
    bulk_filter!(),
    " LIMIT ?5)"
);

/// Takes up to ?3 deliveries due at ?1 for one attempt: their next attempt moves to ?2 (a
/// lease, so another isolate's sweep leaves them alone meanwhile) and the count goes up.
const CLAIM_DUE_SQL: &str = "UPDATE logout_deliveries SET next_attempt_at = ?2, attempts = attempts + 1 \
WHERE id IN (SELECT id FROM logout_deliveries WHERE delivered_at IS NULL AND given_up_at IS NULL \
AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?3) \
RETURNING id, client_id, session_id, user_id, uri, alg, attempts, created_at";

const DELIVERED_SQL: &str =
    "UPDATE logout_deliveries SET delivered_at = ?2, last_error = NULL WHERE id = ?1 AND delivered_at IS NULL";
const RETRY_SQL: &str = "UPDATE logout_deliveries SET next_attempt_at = ?2, last_error = ?3 WHERE id = ?1";
const GIVE_UP_SQL: &str = "UPDATE logout_deliveries SET given_up_at = ?2, last_error = ?3 WHERE id = ?1";

const DELETE_OLDER_SQL: &str = "DELETE FROM logout_deliveries WHERE rowid IN \
(SELECT rowid FROM logout_deliveries WHERE created_at < ?1 LIMIT ?2)";

/// A claimed delivery ([`claim_due`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub client_id: String,
    pub session_id: String,
    pub user_id: String,
    pub uri: String,
    pub alg: Option<String>,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub created_at: UnixTime,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    client_id: String,
    session_id: String,
    user_id: String,
    uri: String,
    alg: Option<String>,
    attempts: f64,
    created_at: f64,
}

pub fn queue_for_session(session_id: &str, user_id: &str, now: UnixTime) -> Statement<'static> {
    (QUEUE_FOR_SESSION_SQL, vec![session_id.into(), user_id.into(), now.into()])
}

/// `args` from `tables::sessions::bulk_args`.
pub fn queue_bulk(mut args: Vec<SqlArg>) -> Statement<'static> {
    args.push(BULK_LIMIT.into());
    (QUEUE_BULK_SQL, args)
}

pub fn claim_due(now: UnixTime, lease_until: UnixTime, limit: i64) -> Statement<'static> {
    (CLAIM_DUE_SQL, vec![now.into(), lease_until.into(), limit.into()])
}

/// The rows [`claim_due`] returned.
pub fn decode_claimed(rows: Vec<serde_json::Value>) -> Result<Vec<Delivery>, serde_json::Error> {
    rows.into_iter()
        .map(|row| {
            let r: Row = serde_json::from_value(row)?;
            Ok(Delivery {
                id: r.id,
                client_id: r.client_id,
                session_id: r.session_id,
                user_id: r.user_id,
                uri: r.uri,
                alg: r.alg,
                attempts: int(r.attempts),
                created_at: int(r.created_at),
            })
        })
        .collect()
}

pub fn delivered(id: &str, now: UnixTime) -> Statement<'static> {
    (DELIVERED_SQL, vec![id.into(), now.into()])
}

pub fn retry_at(id: &str, at: UnixTime, error: &str) -> Statement<'static> {
    (RETRY_SQL, vec![id.into(), at.into(), error.into()])
}

pub fn give_up(id: &str, now: UnixTime, error: &str) -> Statement<'static> {
    (GIVE_UP_SQL, vec![id.into(), now.into(), error.into()])
}

/// Cleanup: up to `limit` deliveries made before `before`, delivered or not.
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}
