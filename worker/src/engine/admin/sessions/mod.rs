//! The admin API on browser sessions (docs/api.md, "Admin and account API"): list
//! them with their users, end one, end many by age or address, count them. Everything
//! reads and deletes D1's `sessions` index (migrations/0010), which decides whether a
//! session lives (see `identity::sessions`): a deleted row ends the session at every edge
//! on its next request. An admin ends only plain users' sessions; a super_admin anyone's.

#[cfg(test)]
mod tests;

use serde_json::json;
use shared::account::Page;
use shared::admin::{AdminSession, SessionMetrics, SessionsEnded};
use shared::codes;

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::admin::users::roles::{may_manage, Acting};
use crate::engine::identity::devices::device_name;
use crate::engine::identity::sessions::{self, Session};
use crate::engine::identity::users::Role;
use crate::engine::oauth::backchannel_logout;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, first_row, whole, SqlRunner, UnixTime};
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::sessions::{self as table, BulkFilter, ListedRow, MetricsRow};
use crate::engine::tables::{deliveries, ended_sessions, logout_deliveries, refresh_tokens};

fn not_found() -> ApiError {
    ApiError::not_found(codes::NOT_FOUND, "no live session with this id")
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
pub struct SessionAdmin<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

request_context_view!(SessionAdmin);

impl<P: Platform> SessionAdmin<'_, P> {
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

    /// `GET /api/sessions`: live sessions, newest first, optionally of one user or from one
    /// address; the page and the total in one round trip.
    pub async fn list(
        &self,
        user_id: Option<&str>,
        ip: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Page<AdminSession>, ApiError> {
        let statements = table::live_page(self.now, self.idle_cutoff(), user_id, ip, limit, offset);
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
                    last_activity: s.last_seen_at,
                    last_seen_at: s.last_seen_at,
                    expires_at: s.expires_at,
                    ip_address: s.ip_address,
                    device: s.user_agent.as_deref().and_then(device_name),
                    user_agent: s.user_agent,
                    location: s.location,
                })
            })
            .collect::<Result<Vec<_>, InternalError>>()?;
        Ok(Page { data, total: count(totals)?, limit, offset })
    }

    /// `DELETE /api/sessions/{id}`: ends one session (with its refresh tokens when
    /// `REVOKE_TOKENS_ON_SESSION_END`). Audited `session.revoked`.
    pub async fn end(&self, id: &str) -> Result<(), ApiError> {
        let row: ListedRow = first_row(self.store.select(table::with_user(id)).await?)?.ok_or_else(not_found)?;
        may_manage(Acting::of(self.admin), Role::parse(&row.role)?, None)?;
        let session: Session = row.session.into_session();
        sessions::end(self.kv, self.store, self.config, &session, self.now).await?;
        let metadata = json!({ "user_id": session.user_id, "email": row.email });
        crate::engine::ops::audit::AuditStore::record(self.store, &self.event("session.revoked", id, metadata)?)
            .await?;
        Ok(())
    }

    /// `DELETE /api/sessions?older_than=30d` and/or `?ip=…`: ends every matching session
    /// (an admin's call, plain users' only). Audited `sessions.revoked`.
    pub async fn end_many(&self, older_than: Option<&str>, ip: Option<&str>) -> Result<SessionsEnded, ApiError> {
        if older_than.is_none() && ip.is_none() {
            return Err(ApiError::invalid(
                "older_than",
                "name older_than, ip or both (or all=true); DELETE ends only what they match",
            ));
        }
        let created_before = older_than.map(parse_age).transpose()?.map(|age| self.now - age);
        let everyone = Acting::of(self.admin) == Acting::SuperAdmin;
        let filter = BulkFilter { created_before, ip, everyone, except: None };
        let ended = self.end_matching(&filter, json!({ "older_than": older_than, "ip": ip })).await?;
        Ok(SessionsEnded { ended })
    }

    /// `DELETE /api/sessions?all=true` (a super_admin): ends every session, in rounds of
    /// [`table::BULK_LIMIT`], the caller's own last — a round that fails leaves the caller
    /// able to repeat the call. Audited `sessions.revoked` with `"all": true` per round.
    pub async fn end_all(&self) -> Result<SessionsEnded, ApiError> {
        if !self.admin.is_super_admin() {
            return Err(ApiError::forbidden(codes::SUPER_ADMIN_REQUIRED, "only a super_admin ends every session"));
        }
        let own = self.admin.session();
        let mut ended = 0;
        loop {
            let filter = BulkFilter { created_before: None, ip: None, everyone: true, except: own };
            let round = self.end_matching(&filter, json!({ "all": true })).await?;
            ended += round;
            if round < table::BULK_LIMIT as u64 {
                break;
            }
        }
        if own.is_some() {
            let filter = BulkFilter { created_before: None, ip: None, everyone: true, except: None };
            ended += self.end_matching(&filter, json!({ "all": true, "own_session": true })).await?;
        }
        Ok(SessionsEnded { ended })
    }

    /// Ends up to [`table::BULK_LIMIT`] sessions `filter` matches, revoking their refresh
    /// tokens when `REVOKE_TOKENS_ON_SESSION_END`, telling their clients (back-channel
    /// logout), all in one batch with the audit entry (`sessions.revoked`, `metadata` and
    /// the count). Their KV values are left to expire: the missing rows already refuse
    /// them everywhere.
    async fn end_matching(&self, filter: &BulkFilter<'_>, mut metadata: serde_json::Value) -> Result<u64, ApiError> {
        let args = || table::bulk_args(self.now, filter);
        let matching = count(self.store.select(table::bulk_count(args())).await?)?.min(table::BULK_LIMIT as u64);
        if let Some(fields) = metadata.as_object_mut() {
            fields.insert("sessions".into(), json!(matching));
        }
        let mut statements = Vec::new();
        if self.config.sessions.revoke_tokens_on_session_end {
            statements.push(refresh_tokens::revoke_of_bulk_sessions(args()));
            statements.push(ended_sessions::insert_bulk(args(), sessions::keep_ended_until(self.config, self.now)));
        }
        // OIDC Back-Channel Logout: the clients of the ended sessions are told.
        let queue = statements.len();
        statements.push(logout_deliveries::queue_bulk(args()));
        statements.push(deliveries::insert_logouts_written(self.now));
        statements.push(table::bulk_delete(args()));
        statements.push(self.event("sessions.revoked", "*", metadata)?.statement());
        let changes = self.store.batch(&statements).await?;
        if changes.get(queue).is_some_and(|queued| *queued > 0) {
            backchannel_logout::note_queued();
        }
        Ok(changes.get(statements.len().saturating_sub(2)).copied().unwrap_or(0))
    }

    /// `GET /api/metrics/sessions`.
    pub async fn metrics(&self) -> Result<SessionMetrics, ApiError> {
        let row: MetricsRow = first_row(self.store.select(table::metrics(self.now, self.idle_cutoff())).await?)?
            .ok_or_else(|| InternalError::new("session metrics: no row"))?;
        Ok(SessionMetrics {
            active: whole(row.active),
            users: whole(row.users),
            active_sessions: whole(row.active),
            unique_users: whole(row.users),
            sessions_today: whole(row.created_today),
            created_last_hour: whole(row.created_last_hour),
            created_last_24h: whole(row.created_last_24h),
            created_last_30d: whole(row.created_last_30d),
        })
    }
}
