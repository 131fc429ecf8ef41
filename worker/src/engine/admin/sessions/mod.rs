//! The admin API on browser sessions (docs/api.md, "Admin and account API"): list
//! them with their users, end one, end many by age or address, count them. Everything
//! reads and deletes D1's `sessions` index (migrations/0010), which decides whether a
//! session lives (see `identity::sessions`): a deleted row ends the session at every edge
//! on its next request. An admin ends only plain users' sessions; a super_admin anyone's.

#[cfg(test)]
mod tests;

use serde::Deserialize;
use serde_json::json;
use shared::account::Page;
use shared::admin::{AdminSession, SessionMetrics, SessionsEnded};
use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::admin::users::roles::{may_manage, Acting};
use crate::engine::identity::sessions::{self, revoke_tokens_of_sessions_sql, Session, SessionRow, SESSION_COLUMNS};
use crate::engine::identity::users::Role;
use crate::engine::ops::audit::{AuditEvent, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, first_row, whole, KeyValue, Random, SqlArg, SqlRunner, UnixTime};

/// Live sessions matching the filters: ?1 now, ?2 idle cut-off, ?3 user id or NULL, ?4 IP
/// or NULL.
const LIVE_FILTER: &str = "s.expires_at > ?1 AND s.last_seen_at > ?2 AND (?3 IS NULL OR s.user_id = ?3) \
AND (?4 IS NULL OR s.ip_address = ?4)";

/// Sessions a bulk delete ends: ?2 created before (or NULL), ?3 IP (or NULL), ?4 1 when
/// the caller is a super_admin (else only plain users' sessions). ?1 is the time the
/// statements around it need.
const BULK_FILTER: &str = "(?2 IS NULL OR created_at < ?2) AND (?3 IS NULL OR ip_address = ?3) \
AND (?4 = 1 OR user_id IN (SELECT id FROM users WHERE role = 'user'))";

/// The most a bulk delete ends at once (D1 statements stay short); the answer says how
/// many, and the operator repeats it for the rest.
const BULK_LIMIT: i64 = 10_000;

/// `GET /api/metrics/sessions`: ?1 now, ?2 idle cut-off, ?3 an hour ago, ?4 a day ago,
/// ?5 30 days ago.
const METRICS_SQL: &str = "SELECT \
COUNT(CASE WHEN expires_at > ?1 AND last_seen_at > ?2 THEN 1 END) AS active, \
COUNT(DISTINCT CASE WHEN expires_at > ?1 AND last_seen_at > ?2 THEN user_id END) AS users, \
COUNT(CASE WHEN created_at > ?3 THEN 1 END) AS created_last_hour, \
COUNT(CASE WHEN created_at > ?4 THEN 1 END) AS created_last_24h, \
COUNT(CASE WHEN created_at > ?5 THEN 1 END) AS created_last_30d \
FROM sessions";

/// A session row with its user's email and role.
#[derive(Deserialize)]
struct ListedRow {
    #[serde(flatten)]
    session: SessionRow,
    email: String,
    role: String,
}

#[derive(Deserialize)]
struct MetricsRow {
    active: f64,
    users: f64,
    created_last_hour: f64,
    created_last_24h: f64,
    created_last_30d: f64,
}

fn not_found() -> ApiError {
    ApiError::Request { status: 404, code: codes::NOT_FOUND, description: "no live session with this id".into() }
}

/// `older_than`: a number of days (`30d`), hours (`12h`) or minutes (`90m`), in seconds.
pub fn parse_age(value: &str) -> Result<i64, ApiError> {
    let invalid = || ApiError::invalid("older_than", "must be a whole number of days, hours or minutes: 30d, 12h, 90m");
    let value = value.trim();
    let unit = value.chars().last().ok_or_else(invalid)?;
    let number = value.strip_suffix(unit).unwrap_or_default();
    let seconds = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        _ => return Err(invalid()),
    };
    let n: i64 = number.parse().ok().filter(|n| (1..=36_500).contains(n)).ok_or_else(invalid)?;
    Ok(n * seconds)
}

/// Everything one admin request on sessions needs.
pub struct SessionAdmin<'a, S, K, R> {
    pub config: &'a Config,
    pub store: &'a S,
    pub kv: &'a K,
    pub rng: &'a R,
    pub meta: &'a RequestMeta,
    pub admin: &'a AdminPrincipal,
    pub now: UnixTime,
}

impl<S: SqlRunner, K: KeyValue, R: Random> SessionAdmin<'_, S, K, R> {
    fn idle_cutoff(&self) -> UnixTime {
        self.now - i64::from(self.config.sessions.idle_timeout_minutes) * 60
    }

    fn event(&self, event: &'static str, id: &str, metadata: serde_json::Value) -> Result<AuditEvent, InternalError> {
        let (actor_type, actor_id) = self.admin.actor();
        Ok(AuditEvent::new(event, self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("session", id)
            .metadata(metadata))
    }

    fn live_args(&self, user_id: Option<&str>, ip: Option<&str>) -> Vec<SqlArg> {
        vec![self.now.into(), self.idle_cutoff().into(), user_id.into(), ip.into()]
    }

    /// `GET /api/sessions`: live sessions, newest first, optionally of one user or from one
    /// address; the page and the total in one round trip.
    pub async fn list(
        &self,
        user_id: Option<&str>,
        ip: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Page<AdminSession>, ApiError> {
        let columns = SESSION_COLUMNS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
        let list = format!(
            "SELECT {columns}, u.email, u.role FROM sessions s JOIN users u ON u.id = s.user_id WHERE {LIVE_FILTER} \
             ORDER BY s.created_at DESC, s.id_hash LIMIT ?5 OFFSET ?6"
        );
        let total = format!("SELECT COUNT(*) AS total FROM sessions s WHERE {LIVE_FILTER}");
        let mut page = self.live_args(user_id, ip);
        page.extend([SqlArg::Int(i64::from(limit)), SqlArg::Int(i64::from(offset))]);
        let statements = [(list.as_str(), page), (total.as_str(), self.live_args(user_id, ip))];
        let mut results = self.store.query_batch(&statements).await?.into_iter();
        let (rows, totals) = (results.next().unwrap_or_default(), results.next().unwrap_or_default());
        let data = rows
            .into_iter()
            .map(|row| {
                let row: ListedRow = crate::engine::platform::json::row(row, "session")?;
                let s = row.session.into_session();
                Ok(AdminSession {
                    id: s.id_hash,
                    user_id: s.user_id,
                    email: row.email,
                    created_at: s.created_at,
                    last_seen_at: s.last_seen_at,
                    expires_at: s.expires_at,
                    ip_address: s.ip_address,
                    user_agent: s.user_agent,
                })
            })
            .collect::<Result<Vec<_>, InternalError>>()?;
        Ok(Page { data, total: count(totals)?, limit, offset })
    }

    /// `DELETE /api/sessions/{id}`: ends one session (with its refresh tokens when
    /// `REVOKE_TOKENS_ON_SESSION_END`). Audited `session.revoked`.
    pub async fn end(&self, id: &str) -> Result<(), ApiError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, (SELECT email FROM users u WHERE u.id = s.user_id) AS email, \
             (SELECT role FROM users u WHERE u.id = s.user_id) AS role FROM sessions s WHERE s.id_hash = ?1"
        );
        let row: ListedRow = first_row(self.store.query(&sql, &[id.into()]).await?)?.ok_or_else(not_found)?;
        may_manage(Acting::of(self.admin), Role::parse(&row.role)?, None)?;
        let session: Session = row.session.into_session();
        sessions::end(self.kv, self.store, self.config, &session, self.now).await?;
        let metadata = json!({ "user_id": session.user_id, "email": row.email });
        crate::engine::ops::audit::AuditStore::record(self.store, &self.event("session.revoked", id, metadata)?)
            .await?;
        Ok(())
    }

    /// `DELETE /api/sessions?older_than=30d` and/or `?ip=…`: ends every matching session
    /// (an admin's call, plain users' only), revoking their refresh tokens when
    /// `REVOKE_TOKENS_ON_SESSION_END`, all in one batch with the audit entry
    /// (`sessions.revoked`). Their KV values are left to expire: the missing rows already
    /// refuse them everywhere.
    pub async fn end_many(&self, older_than: Option<&str>, ip: Option<&str>) -> Result<SessionsEnded, ApiError> {
        if older_than.is_none() && ip.is_none() {
            return Err(ApiError::invalid(
                "older_than",
                "name older_than, ip or both; DELETE ends only what they match",
            ));
        }
        let created_before = older_than.map(parse_age).transpose()?.map(|age| self.now - age);
        let everyone = i64::from(Acting::of(self.admin) == Acting::SuperAdmin);
        let args = || -> Vec<SqlArg> { vec![self.now.into(), created_before.into(), ip.into(), everyone.into()] };
        let count_sql = format!("SELECT COUNT(*) AS total FROM sessions WHERE {BULK_FILTER}");
        let matching = count(self.store.query(&count_sql, &args()).await?)?.min(BULK_LIMIT as u64);
        let delete = format!(
            "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE {BULK_FILTER} LIMIT {BULK_LIMIT})"
        );
        let revoke = revoke_tokens_of_sessions_sql(BULK_FILTER);
        let metadata = json!({ "older_than": older_than, "ip": ip, "sessions": matching });
        let mut statements = Vec::new();
        if self.config.sessions.revoke_tokens_on_session_end {
            statements.push((revoke.as_str(), args()));
        }
        statements.push((delete.as_str(), args()));
        statements.push(self.event("sessions.revoked", "*", metadata)?.statement());
        let changes = self.store.batch(&statements).await?;
        let ended = changes.get(statements.len().saturating_sub(2)).copied().unwrap_or(0);
        Ok(SessionsEnded { ended })
    }

    /// `GET /api/metrics/sessions`.
    pub async fn metrics(&self) -> Result<SessionMetrics, ApiError> {
        let args = [
            self.now.into(),
            self.idle_cutoff().into(),
            (self.now - 3_600).into(),
            (self.now - 86_400).into(),
            (self.now - 30 * 86_400).into(),
        ];
        let row: MetricsRow = first_row(self.store.query(METRICS_SQL, &args).await?)?
            .ok_or_else(|| InternalError::new("session metrics: no row"))?;
        Ok(SessionMetrics {
            active: whole(row.active),
            users: whole(row.users),
            created_last_hour: whole(row.created_last_hour),
            created_last_24h: whole(row.created_last_24h),
            created_last_30d: whole(row.created_last_30d),
        })
    }
}
