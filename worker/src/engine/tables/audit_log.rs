//! The `audit_log` table (migrations/0002): one security-relevant event per row; every
//! statement on it.

use serde::Deserialize;
use serde_json::Value;
use shared::audit::AuditEntry;

use crate::engine::ops::audit::AuditEvent;
use crate::engine::ops::audit_log::{AuditFilter, Cursor};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, SqlArg, Statement, UnixTime};
use crate::engine::platform::time::rfc3339;

const DELETE_OLDER_SQL: &str =
    "DELETE FROM audit_log WHERE rowid IN (SELECT rowid FROM audit_log WHERE timestamp < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` entries older than `before` (`AUDIT_LOG_RETENTION_DAYS`).
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}

const INSERT_SQL: &str = "INSERT INTO audit_log (id, timestamp, event, actor_id, actor_type, resource_type, \
resource_id, ip_address, user_agent, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// One entry, for a batch that must record it with the change it describes. Every
/// insert below is one of these: the webhooks hear of the events they carry here.
pub fn insert(e: &AuditEvent) -> Statement<'static> {
    crate::engine::delivery::webhooks::note(e.event);
    crate::engine::delivery::audit_push::note_written();
    let args = vec![
        (&e.id).into(),
        e.timestamp.into(),
        e.event.into(),
        e.actor_id.as_deref().into(),
        e.actor_type.into(),
        e.resource_type.into(),
        e.resource_id.as_deref().into(),
        e.ip_address.as_deref().into(),
        e.user_agent.as_deref().into(),
        e.metadata.to_string().into(),
    ];
    (INSERT_SQL, args)
}

/// `e` (a `user.locked` entry) only if the failure just counted in the same batch locked
/// ?11's account: SQLite sets `locked_at` to now and restarts the count exactly then
/// (`tables::users::record_failed_login`). The lock's end goes into the metadata.
const INSERT_IF_LOCKED_NOW_SQL: &str = "INSERT INTO audit_log (id, timestamp, event, actor_id, actor_type, \
resource_type, resource_id, ip_address, user_agent, metadata) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, json_set(?10, '$.locked_until', u.locked_until) FROM users u \
WHERE u.id = ?11 AND u.locked_at = ?2 AND u.failed_attempts = 0 AND u.locked_until > ?2";

/// [`insert`] of `e`, done only when the account `user_id` was locked by this request.
pub fn insert_if_locked_now(e: &AuditEvent, user_id: &str) -> Statement<'static> {
    let (_, mut args) = insert(e);
    args.push(user_id.into());
    (INSERT_IF_LOCKED_NOW_SQL, args)
}

/// [`insert`] only when the resource ?11 exists (?12 = 1) or is gone (?12 = 0) after the
/// statement before it in the batch: the entry records a create or delete that happened.
const INSERT_IF_RESOURCE_SQL: &str = "INSERT INTO audit_log (id, timestamp, event, actor_id, actor_type, \
resource_type, resource_id, ip_address, user_agent, metadata) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM resources WHERE id = ?11) = ?12";

/// [`insert`] of `e` only if the protected resource `id` now `exists` (or not).
pub fn insert_if_resource(e: &AuditEvent, id: &str, exists: bool) -> Statement<'static> {
    let (_, mut args) = insert(e);
    args.push(id.into());
    args.push(i64::from(exists).into());
    (INSERT_IF_RESOURCE_SQL, args)
}

macro_rules! columns {
    () => {
        "id, timestamp, event, actor_id, actor_type, resource_type, resource_id, ip_address, user_agent, metadata"
    };
}

#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    timestamp: f64,
    event: String,
    actor_id: Option<String>,
    actor_type: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    metadata: String,
}

impl Row {
    fn entry(self) -> AuditEntry {
        AuditEntry {
            id: self.id,
            timestamp: rfc3339(int(self.timestamp)),
            event: self.event,
            actor_id: self.actor_id,
            actor_type: self.actor_type,
            resource_type: self.resource_type,
            resource_id: self.resource_id,
            ip_address: self.ip_address,
            user_agent: self.user_agent,
            // Written by us as a JSON object; anything else is shown as text, never an error.
            metadata: serde_json::from_str(&self.metadata).unwrap_or(Value::String(self.metadata)),
        }
    }
}

pub fn entries(rows: Vec<Value>) -> Result<Vec<AuditEntry>, InternalError> {
    rows.into_iter().map(|r| crate::engine::platform::json::row::<Row>(r, "audit").map(Row::entry)).collect()
}

/// The WHERE clause of `f` with only the conditions it names (`TRUE` for none), numbered
/// ?1…?n, and their arguments. Only named conditions, not `?n IS NULL OR …` for each, so
/// SQLite can use the indexes: `audit_log_event (event, timestamp)` serves an event filter
/// for the page (in order) and the count; `audit_log_actor (actor_id, timestamp)` an actor
/// filter; `audit_log_timestamp` the unfiltered newest-first page and time ranges.
fn where_clause(f: &AuditFilter) -> (String, Vec<SqlArg>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut args: Vec<SqlArg> = Vec::new();
    // `$` marks where the next argument goes; it becomes `?n`.
    let mut add = |sql: &str, values: Vec<SqlArg>| {
        let mut sql = sql.to_owned();
        for value in values {
            args.push(value);
            sql = sql.replacen('$', &format!("?{}", args.len()), 1);
        }
        conditions.push(sql);
    };
    if let Some(event) = &f.event {
        add("event = $", vec![event.as_str().into()]);
    }
    if let Some(from) = f.from {
        add("timestamp >= $", vec![from.into()]);
    }
    if let Some(to) = f.to {
        add("timestamp < $", vec![to.into()]);
    }
    if let Some(actor) = &f.actor_id {
        add("actor_id = $", vec![actor.as_str().into()]);
    }
    if let Some(client) = &f.client_id {
        let (a, b): (SqlArg, SqlArg) = (client.as_str().into(), client.as_str().into());
        add("((resource_type = 'client' AND resource_id = $) OR (actor_type = 'client' AND actor_id = $))", vec![a, b]);
    }
    if let Some(resource_type) = &f.resource_type {
        add("resource_type = $", vec![resource_type.as_str().into()]);
    }
    if let Some(ip) = &f.ip {
        add("ip_address = $", vec![ip.as_str().into()]);
    }
    let sql = if conditions.is_empty() { "TRUE".to_owned() } else { conditions.join(" AND ") };
    (sql, args)
}

const BY_ID_SQL: &str = concat!("SELECT ", columns!(), " FROM audit_log WHERE id = ?1");

/// Entries of the events in ?2 (a JSON list) since ?1 without a delivery to the webhook
/// URL ?3 yet (a delivery's `reference` is the entry's id, a space and the URL), oldest
/// first, at most ?4 (decode with [`entries`]).
const WITHOUT_WEBHOOK_SQL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM audit_log WHERE timestamp >= ?1 AND event IN (SELECT value FROM json_each(?2)) ",
    "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.reference = audit_log.id || ' ' || ?3) ",
    "ORDER BY timestamp, rowid LIMIT ?4"
);

/// The audit push's next batch for sink ?1: up to ?3 entries after its cursor (or, with
/// none yet, from ?2), in the log's order, each with its `rowid` (the next cursor) — and
/// none while a batch of the sink is undelivered (batches go in order, one at a time).
const NEXT_PUSH_SQL: &str = concat!(
    "SELECT ",
    columns!(),
    ", rowid AS position FROM audit_log WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.kind = 'audit' ",
    "AND d.status != 'delivered' AND d.reference LIKE 'audit ' || ?1 || ' %') AND (timestamp, rowid) > ",
    "(SELECT COALESCE((SELECT after_timestamp FROM audit_push_cursors WHERE sink = ?1), ?2), ",
    "COALESCE((SELECT after_rowid FROM audit_push_cursors WHERE sink = ?1), 0)) ",
    "ORDER BY timestamp, rowid LIMIT ?3"
);

pub fn next_push(sink: &str, start: UnixTime, limit: i64) -> Statement<'static> {
    (NEXT_PUSH_SQL, vec![sink.into(), start.into(), limit.into()])
}

/// Entries with their position (`rowid`), as [`next_push`] reads them.
pub fn positioned(rows: Vec<Value>) -> Result<Vec<(AuditEntry, i64, UnixTime)>, InternalError> {
    #[derive(Deserialize)]
    struct Positioned {
        #[serde(flatten)]
        row: Row,
        position: f64,
    }
    rows.into_iter()
        .map(|r| {
            let p = crate::engine::platform::json::row::<Positioned>(r, "audit")?;
            let at = int(p.row.timestamp);
            Ok((p.row.entry(), int(p.position), at))
        })
        .collect()
}

pub fn without_webhook(since: UnixTime, events: &[&str], url: &str, limit: i64) -> Statement<'static> {
    let events = serde_json::to_string(events).unwrap_or_else(|_| "[]".into());
    (WITHOUT_WEBHOOK_SQL, vec![since.into(), events.into(), url.into(), limit.into()])
}

/// One entry by id (decode with [`entries`]).
pub fn by_id(id: &str) -> Statement<'static> {
    (BY_ID_SQL, vec![id.into()])
}

/// A statement whose SQL is built for its filter (the WHERE holds only what was asked).
pub type Built = (String, Vec<SqlArg>);

/// A page of entries, newest first, and their total: two statements for one batch.
pub fn page(filter: &AuditFilter, limit: u32, offset: u32) -> [Built; 2] {
    let (conditions, filter_args) = where_clause(filter);
    let n = filter_args.len();
    let list = format!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM audit_log WHERE {} ORDER BY timestamp DESC, rowid DESC LIMIT ?{} OFFSET ?{}"
        ),
        conditions,
        n + 1,
        n + 2
    );
    let total = format!("SELECT COUNT(*) AS total FROM audit_log WHERE {conditions}");
    let mut page_args = filter_args.clone();
    page_args.extend([limit.into(), offset.into()]);
    [(list, page_args), (total, filter_args)]
}

/// The next `batch` entries of an export after `cursor` (keyset paging), newest first,
/// each with its `row_number` (the rowid) for the next cursor.
pub fn export_page(filter: &AuditFilter, cursor: Option<Cursor>, batch: u32) -> Built {
    let (conditions, mut args) = where_clause(filter);
    let n = args.len();
    let after = match cursor {
        Some(c) => {
            args.extend([c.timestamp.into(), c.rowid.into()]);
            format!("AND (timestamp < ?{a} OR (timestamp = ?{a} AND rowid < ?{b}))", a = n + 1, b = n + 2)
        }
        None => String::new(),
    };
    args.push(batch.into());
    let sql = format!(
        concat!(
            "SELECT ",
            columns!(),
            ", rowid AS row_number FROM audit_log WHERE {} {} ORDER BY timestamp DESC, rowid DESC LIMIT ?{}"
        ),
        conditions,
        after,
        args.len()
    );
    (sql, args)
}

/// Sign-ins and failures per bucket: ?1 start, ?2 end (exclusive), ?3 bucket seconds. D1
/// binds every number as a REAL, so the division is a real one there: the CAST makes the
/// bucket an integer on D1 and SQLite alike.
const SIGN_IN_BUCKETS_SQL: &str = "SELECT CAST((timestamp - ?1) / ?3 AS INTEGER) AS bucket, \
SUM(CASE WHEN event = 'user.login' THEN 1 ELSE 0 END) AS sign_ins, \
SUM(CASE WHEN event = 'user.login_failed' THEN 1 ELSE 0 END) AS failures \
FROM audit_log WHERE event IN ('user.login', 'user.login_failed') AND timestamp >= ?1 AND timestamp < ?2 \
GROUP BY bucket";

/// `user.login` and `user.login_failed` counted per `size`-second bucket from `start`
/// (`bucket`, `sign_ins`, `failures`).
pub fn sign_in_buckets(start: UnixTime, end: UnixTime, size: i64) -> Statement<'static> {
    (SIGN_IN_BUCKETS_SQL, vec![start.into(), end.into(), size.into()])
}
