//! The `deliveries` table (migrations/0030): an outbound message until it is delivered or
//! dead (docs/delivery.md); every statement on it.

use serde::Deserialize;

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, Statement, UnixTime};

/// A delivery row as the console and the sender read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub payload_sealed: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: UnixTime,
    pub last_error: Option<String>,
    pub created_at: UnixTime,
    pub delivered_at: Option<UnixTime>,
}

#[derive(Deserialize)]
struct Raw {
    id: String,
    kind: String,
    summary: String,
    payload_sealed: Option<String>,
    status: String,
    attempts: f64,
    next_attempt_at: f64,
    last_error: Option<String>,
    created_at: f64,
    delivered_at: Option<f64>,
}

const COLUMNS: &str =
    "id, kind, summary, payload_sealed, status, attempts, next_attempt_at, last_error, created_at, delivered_at";

pub fn decode(rows: Vec<serde_json::Value>) -> Result<Vec<DeliveryRow>, InternalError> {
    rows.into_iter()
        .map(|row| {
            let r: Raw = serde_json::from_value(row).map_err(|e| InternalError::new(format!("delivery row: {e}")))?;
            Ok(DeliveryRow {
                id: r.id,
                kind: r.kind,
                summary: r.summary,
                payload_sealed: r.payload_sealed,
                status: r.status,
                attempts: int(r.attempts),
                next_attempt_at: int(r.next_attempt_at),
                last_error: r.last_error,
                created_at: int(r.created_at),
                delivered_at: r.delivered_at.map(int),
            })
        })
        .collect()
}

const INSERT_SQL: &str = "INSERT INTO deliveries (id, kind, summary, payload_sealed, status, next_attempt_at, \
created_at, reference) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, ?6) ON CONFLICT (reference) \
WHERE reference IS NOT NULL DO NOTHING";

/// A new pending delivery, due now; with a `reference`, none if one with it exists (two
/// isolates collecting the same webhook event make one delivery).
pub fn insert(
    id: &str,
    kind: &str,
    summary: &str,
    payload_sealed: &str,
    now: UnixTime,
    reference: Option<&str>,
) -> Statement<'static> {
    (INSERT_SQL, vec![id.into(), kind.into(), summary.into(), payload_sealed.into(), now.into(), reference.into()])
}

/// Claims a due delivery for one attempt: counted, and not due again until `lease_until`
/// (another isolate, the Queue's redelivery or the sweep leave it alone meanwhile; if this
/// attempt dies with its isolate, it is due again then). ?1 id, ?2 now, ?3 lease end.
const CLAIM_SQL: &str = "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?3 \
WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 RETURNING ";

pub fn claim(id: &str, now: UnixTime, lease_until: UnixTime) -> Statement<'static> {
    (claim_sql(), vec![id.into(), now.into(), lease_until.into()])
}

fn claim_sql() -> &'static str {
    // One string, built once: the statement and its RETURNING list.
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| format!("{CLAIM_SQL}{COLUMNS}"))
}

const DELIVERED_SQL: &str = "UPDATE deliveries SET status = 'delivered', payload_sealed = NULL, last_error = NULL, \
delivered_at = ?2 WHERE id = ?1 AND status = 'pending'";

/// Delivered: the payload (it may hold a credential, such as a reset link) is erased.
pub fn delivered(id: &str, now: UnixTime) -> Statement<'static> {
    (DELIVERED_SQL, vec![id.into(), now.into()])
}

const FAILED_SQL: &str = "UPDATE deliveries SET last_error = ?2, next_attempt_at = ?3, \
status = CASE WHEN ?4 THEN 'dead' ELSE status END WHERE id = ?1 AND status = 'pending'";

/// An attempt failed: due again at `retry_at`, or `dead` (kept, with its payload, for an
/// admin's retry) when `dead`.
pub fn failed(id: &str, error: &str, retry_at: UnixTime, dead: bool) -> Statement<'static> {
    (FAILED_SQL, vec![id.into(), error.into(), retry_at.into(), i64::from(dead).into()])
}

const REVIVE_SQL: &str = "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?2 \
WHERE id = ?1 AND status IN ('pending', 'dead') AND (payload_sealed IS NOT NULL OR kind = 'logout')";

/// An admin's "retry now": a pending or dead delivery is due now with a fresh budget (a
/// Logout Token's content is its `logout_deliveries` row, not a payload).
pub fn revive(id: &str, now: UnixTime) -> Statement<'static> {
    (REVIVE_SQL, vec![id.into(), now.into()])
}

/// The pending delivery of each Logout Token written at ?1 that has none yet (for the batch
/// that wrote them, after them: `logout_deliveries::queue_for_session`, `queue_bulk`).
const INSERT_LOGOUTS_SQL: &str = "INSERT INTO deliveries (id, kind, summary, status, next_attempt_at, created_at) \
SELECT id, 'logout', 'Logout Token to ' || client_id, 'pending', ?1, ?1 FROM logout_deliveries \
WHERE created_at = ?1 ON CONFLICT (id) DO NOTHING";

/// Each Logout Token written at `now` gets its delivery (same id: the token's `jti`).
pub fn insert_logouts_written(now: UnixTime) -> Statement<'static> {
    (INSERT_LOGOUTS_SQL, vec![now.into()])
}

const DUE_SQL: &str = "SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
AND (?3 IS NULL OR kind = ?3) ORDER BY next_attempt_at LIMIT ?2";

/// The ids of up to `limit` deliveries (of `kind`, or any) due at `now`, the longest
/// waiting first.
pub fn due(now: UnixTime, limit: i64, kind: Option<&str>) -> Statement<'static> {
    (DUE_SQL, vec![now.into(), limit.into(), kind.into()])
}

/// A page of deliveries, newest first, optionally of one status and one kind, and the total.
pub fn page(status: Option<&str>, kind: Option<&str>, limit: u32, offset: u32) -> [Statement<'static>; 2] {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = PAGE.get_or_init(|| {
        format!(
            "SELECT {COLUMNS} FROM deliveries WHERE (?1 IS NULL OR status = ?1) AND (?4 IS NULL OR kind = ?4) \
             ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"
        )
    });
    [
        (sql.as_str(), vec![status.into(), limit.into(), offset.into(), kind.into()]),
        (
            "SELECT COUNT(*) AS total FROM deliveries WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2)",
            vec![status.into(), kind.into()],
        ),
    ]
}

/// One delivery by id.
pub fn by_id(id: &str) -> Statement<'static> {
    static BY_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    (BY_ID.get_or_init(|| format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1")).as_str(), vec![id.into()])
}

const DELETE_OLDER_SQL: &str = "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries \
WHERE created_at < ?1 AND status != 'pending' LIMIT ?2)";

/// Cleanup: up to `limit` delivered or dead deliveries created before `before`
/// (`OUTBOX_RETENTION_DAYS`, as the outbox).
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}
