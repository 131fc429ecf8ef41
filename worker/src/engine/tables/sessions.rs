//! The `sessions` table (migrations/0010, 0014, 0034): the D1 index of browser sessions, which
//! decides whether one lives (`identity::sessions`); its row type and every statement on it.

use serde::Deserialize;

use crate::engine::identity::sessions::{password_only, Session};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, SqlArg, Statement, UnixTime};

/// The `sessions` columns, in [`SessionRow`]'s order, as a literal for `concat!`.
macro_rules! session_columns {
    () => {
        "id_hash, user_id, ip_address, user_agent, auth_time, created_at, last_seen_at, expires_at, amr, location"
    };
}

/// Sessions a bulk end matches: ?2 created before (or NULL), ?3 IP (or NULL), ?4 1 when
/// the caller is a super_admin (else only plain users' sessions), ?5 a session it leaves
/// out (the caller's own, ended last; or NULL). ?1 is the time the statements around it
/// need.
macro_rules! bulk_filter {
    () => {
        "(?2 IS NULL OR created_at < ?2) AND (?3 IS NULL OR ip_address = ?3) \
AND (?4 = 1 OR user_id IN (SELECT id FROM users WHERE role = 'user')) AND (?5 IS NULL OR id_hash != ?5)"
    };
}
pub(crate) use bulk_filter;

/// Live sessions matching the filters: ?1 now, ?2 idle cut-off, ?3 user id or NULL, ?4 IP
/// or NULL.
macro_rules! live_filter {
    () => {
        "s.expires_at > ?1 AND s.last_seen_at > ?2 AND (?3 IS NULL OR s.user_id = ?3) \
AND (?4 IS NULL OR s.ip_address = ?4)"
    };
}

/// The most a bulk end deletes at once (D1 statements stay short); the answer says how
/// many, and the operator repeats it for the rest.
pub const BULK_LIMIT: i64 = 10_000;

const INSERT_SQL: &str = "INSERT INTO sessions (id_hash, user_id, ip_address, user_agent, auth_time, created_at, \
last_seen_at, expires_at, amr, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

const TOUCH_SQL: &str = "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1";

const DELETE_SQL: &str = "DELETE FROM sessions WHERE id_hash = ?1";

/// A user's live sessions: ?1 user, ?2 now, ?3 the idle cut-off (now − idle timeout).
const OF_USER_SQL: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE user_id = ?1 AND expires_at > ?2 AND last_seen_at > ?3 ORDER BY created_at DESC"
);

/// One session with its user's email and role ([`ListedRow`]). ?1 id hash.
const WITH_USER_SQL: &str = concat!(
    "SELECT ",
    session_columns!(),
    ", (SELECT email FROM users u WHERE u.id = s.user_id) AS email, \
(SELECT role FROM users u WHERE u.id = s.user_id) AS role FROM sessions s WHERE s.id_hash = ?1"
);

/// A page of live sessions with their users ([`ListedRow`]): the live filter's ?1..?4,
/// ?5 limit, ?6 offset.
const LIVE_PAGE_SQL: &str = concat!(
    "SELECT s.id_hash, s.user_id, s.ip_address, s.user_agent, s.auth_time, s.created_at, s.last_seen_at, ",
    "s.expires_at, s.amr, s.location, u.email, u.role FROM sessions s JOIN users u ON u.id = s.user_id WHERE ",
    live_filter!(),
    " ORDER BY s.created_at DESC, s.id_hash LIMIT ?5 OFFSET ?6"
);

const LIVE_COUNT_SQL: &str = concat!("SELECT COUNT(*) AS total FROM sessions s WHERE ", live_filter!());

const BULK_COUNT_SQL: &str = concat!("SELECT COUNT(*) AS total FROM sessions WHERE ", bulk_filter!());

const BULK_DELETE_SQL: &str =
    concat!("DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE ", bulk_filter!(), " LIMIT ?6)");

/// `GET /api/metrics/sessions`: ?1 now, ?2 idle cut-off, ?3 an hour ago, ?4 a day ago,
/// ?5 30 days ago, ?6 midnight UTC.
const METRICS_SQL: &str = "SELECT \
COUNT(CASE WHEN expires_at > ?1 AND last_seen_at > ?2 THEN 1 END) AS active, \
COUNT(DISTINCT CASE WHEN expires_at > ?1 AND last_seen_at > ?2 THEN user_id END) AS users, \
COUNT(CASE WHEN created_at > ?3 THEN 1 END) AS created_last_hour, \
COUNT(CASE WHEN created_at > ?4 THEN 1 END) AS created_last_24h, \
COUNT(CASE WHEN created_at > ?5 THEN 1 END) AS created_last_30d, \
COUNT(CASE WHEN created_at >= ?6 THEN 1 END) AS created_today \
FROM sessions";

const DELETE_EXPIRED_SQL: &str =
    "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at < ?1 LIMIT ?2)";

const DELETE_IDLE_SQL: &str =
    "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE last_seen_at < ?1 LIMIT ?2)";

/// A `sessions` row (integers as `f64`, see [`int`]).
#[derive(Debug, Deserialize)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub auth_time: f64,
    pub created_at: f64,
    pub last_seen_at: f64,
    pub expires_at: f64,
    #[serde(default)]
    pub amr: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
}

impl SessionRow {
    pub fn into_session(self) -> Session {
        Session {
            id_hash: self.id_hash,
            user_id: self.user_id,
            ip_address: self.ip_address,
            user_agent: self.user_agent,
            auth_time: int(self.auth_time),
            auth_time_ms: None,
            created_at: int(self.created_at),
            last_seen_at: int(self.last_seen_at),
            expires_at: int(self.expires_at),
            amr: match self.amr {
                Some(amr) => amr.split(' ').map(str::to_owned).collect(),
                None => password_only(),
            },
            location: self.location,
        }
    }
}

/// A session row with its user's email and role.
#[derive(Deserialize)]
pub struct ListedRow {
    #[serde(flatten)]
    pub session: SessionRow,
    pub email: String,
    pub role: String,
}

/// The counts of [`metrics`].
#[derive(Deserialize)]
pub struct MetricsRow {
    pub active: f64,
    pub users: f64,
    pub created_last_hour: f64,
    pub created_last_24h: f64,
    pub created_last_30d: f64,
    pub created_today: f64,
}

pub fn decode_sessions(rows: Vec<serde_json::Value>) -> Result<Vec<Session>, InternalError> {
    rows.into_iter()
        .map(|row| crate::engine::platform::json::row::<SessionRow>(row, "session").map(SessionRow::into_session))
        .collect()
}

pub fn insert(session: &Session) -> Statement<'static> {
    let args = vec![
        session.id_hash.as_str().into(),
        session.user_id.as_str().into(),
        session.ip_address.as_deref().into(),
        session.user_agent.as_deref().into(),
        session.auth_time.into(),
        session.created_at.into(),
        session.last_seen_at.into(),
        session.expires_at.into(),
        session.amr.join(" ").into(),
        session.location.as_deref().into(),
    ];
    (INSERT_SQL, args)
}

/// Moves `last_seen_at`; changes nothing once the session has ended (its row is gone).
pub fn touch(id_hash: &str, now: UnixTime) -> Statement<'static> {
    (TOUCH_SQL, vec![id_hash.into(), now.into()])
}

pub fn delete(id_hash: &str) -> Statement<'static> {
    (DELETE_SQL, vec![id_hash.into()])
}

/// A user's live sessions, newest first; decode with [`decode_sessions`].
pub fn live_of_user(user_id: &str, now: UnixTime, idle_cutoff: UnixTime) -> Statement<'static> {
    (OF_USER_SQL, vec![user_id.into(), now.into(), idle_cutoff.into()])
}

/// One session with its user's email and role ([`ListedRow`]).
pub fn with_user(id_hash: &str) -> Statement<'static> {
    (WITH_USER_SQL, vec![id_hash.into()])
}

fn live_args(now: UnixTime, idle_cutoff: UnixTime, user_id: Option<&str>, ip: Option<&str>) -> Vec<SqlArg> {
    vec![now.into(), idle_cutoff.into(), user_id.into(), ip.into()]
}

/// A page of live sessions, newest first, with their users ([`ListedRow`]), and their
/// total: two statements for one batch.
pub fn live_page(
    now: UnixTime,
    idle_cutoff: UnixTime,
    user_id: Option<&str>,
    ip: Option<&str>,
    limit: u32,
    offset: u32,
) -> [Statement<'static>; 2] {
    let mut page = live_args(now, idle_cutoff, user_id, ip);
    page.extend([limit.into(), offset.into()]);
    [(LIVE_PAGE_SQL, page), (LIVE_COUNT_SQL, live_args(now, idle_cutoff, user_id, ip))]
}

/// What a bulk end matches ([`bulk_args`]).
pub struct BulkFilter<'a> {
    pub created_before: Option<UnixTime>,
    pub ip: Option<&'a str>,
    /// The caller is a super_admin: every role's sessions, not only plain users'.
    pub everyone: bool,
    /// A session left out (the caller's own, ended last).
    pub except: Option<&'a str>,
}

/// The arguments of the bulk filter ([`bulk_filter`]).
pub fn bulk_args(now: UnixTime, f: &BulkFilter<'_>) -> Vec<SqlArg> {
    vec![now.into(), f.created_before.into(), f.ip.into(), f.everyone.into(), f.except.into()]
}

/// How many sessions the bulk filter matches; `args` from [`bulk_args`].
pub fn bulk_count(args: Vec<SqlArg>) -> Statement<'static> {
    (BULK_COUNT_SQL, args)
}

/// Ends up to [`BULK_LIMIT`] sessions the bulk filter matches; `args` from [`bulk_args`].
pub fn bulk_delete(mut args: Vec<SqlArg>) -> Statement<'static> {
    args.push(BULK_LIMIT.into());
    (BULK_DELETE_SQL, args)
}

/// The counts of `GET /api/metrics/sessions` ([`MetricsRow`]).
pub fn metrics(now: UnixTime, idle_cutoff: UnixTime) -> Statement<'static> {
    let midnight = now - now.rem_euclid(86_400);
    let args = vec![
        now.into(),
        idle_cutoff.into(),
        (now - 3_600).into(),
        (now - 86_400).into(),
        (now - 30 * 86_400).into(),
        midnight.into(),
    ];
    (METRICS_SQL, args)
}

/// Cleanup: up to `limit` sessions past their end.
pub fn delete_expired(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_EXPIRED_SQL, vec![before.into(), limit.into()])
}

/// Cleanup: up to `limit` sessions unused since `before`.
pub fn delete_idle(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_IDLE_SQL, vec![before.into(), limit.into()])
}
