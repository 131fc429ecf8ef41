//! Deliveries over the admin API (docs/delivery.md): the list with its status filter, and
//! an admin's "retry now" of a pending or dead one (audited `delivery.retried`). The
//! payload never leaves the server.

use serde_json::json;
use shared::account::Page;
use shared::deliveries::{Delivery, MailTestResult, KINDS, STATUSES};

use super::{Attempt, Deliveries};
use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::identity::accounts::utc_time;
use crate::engine::identity::mail::{self, MailContent};
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::config::MailProvider;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{count, SqlRunner};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::deliveries::{self, DeliveryRow};

pub struct DeliveryAdmin<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

crate::engine::platform::request::request_context_view!(DeliveryAdmin);

fn shown(row: DeliveryRow) -> Delivery {
    let pending = row.status == "pending";
    Delivery {
        id: row.id,
        kind: row.kind,
        summary: row.summary,
        next_attempt_at: pending.then_some(row.next_attempt_at),
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    }
}

impl<P: Platform> DeliveryAdmin<'_, P> {
    /// `GET /api/deliveries?status=&kind=&limit=&offset=`, newest first.
    pub async fn list(
        &self,
        status: Option<&str>,
        kind: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Page<Delivery>, ApiError> {
        for (name, value, allowed) in [("status", status, STATUSES), ("kind", kind, KINDS)] {
            if let Some(value) = value.filter(|v| !allowed.contains(v)) {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    format!("{name} `{value}` is not one of {}", allowed.join(", ")),
                ));
            }
        }
        let [rows, total] = self.store.select_pair_of(deliveries::page(status, kind, limit, offset)).await?;
        let data = deliveries::decode(rows)?.into_iter().map(shown).collect();
        Ok(Page { data, total: count(total)?, limit, offset })
    }

    /// `POST /api/deliveries/{id}/retry`: attempted now, with a fresh budget of attempts.
    pub async fn retry(&self, id: &str) -> Result<Delivery, ApiError> {
        let Some(row) = (Deliveries { rc: self.rc }).retry_now(id).await? else {
            return Err(ApiError::not_found("not_found", "no pending or dead delivery has this id"));
        };
        let (actor_type, actor_id) = self.admin.actor();
        let event = AuditEvent::new("delivery.retried", self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("delivery", id)
            .metadata(json!({ "summary": row.summary, "status": row.status, "error": row.last_error }));
        self.store.record(&event).await?;
        Ok(shown(row))
    }
}

impl<P: Platform> DeliveryAdmin<'_, P> {
    /// `POST /api/mail/test` (a super_admin): a test message to `to` through the configured
    /// transport, attempted now (not queued) so the answer is the transport's own; it is a
    /// delivery like any other (retried if it failed). Audited `mail.test_sent`.
    pub async fn test_mail(&self, to: &str) -> Result<MailTestResult, ApiError> {
        if !self.admin.is_super_admin() {
            return Err(ApiError::forbidden(
                shared::codes::SUPER_ADMIN_REQUIRED,
                "only a super_admin may send test mail",
            ));
        }
        let to = to.trim();
        if let Some(problem) = shared::account::email_problem(to) {
            return Err(ApiError::bad_request("invalid_request", format!("`to`: {problem}")));
        }
        let (actor_type, actor_id) = self.admin.actor();
        let sent_by = match self.admin {
            AdminPrincipal::User(user, _) => user.email.clone(),
            AdminPrincipal::Client(id) => format!("The client {id}"),
        };
        let content = MailContent::Test { when: utc_time(self.now), sent_by };
        let provider = provider_name(&self.config.mail.provider);
        let outcome = match mail::write(&self.rc, &mail::Recipient::address(to), &content).await? {
            None => {
                MailTestResult { provider, delivered: true, answer: Some("kept in the outbox".into()), error: None }
            }
            Some(id) => match (Deliveries { rc: self.rc }).attempt(&id).await? {
                Attempt::Delivered { answer } => {
                    MailTestResult { provider, delivered: true, answer: Some(answer), error: None }
                }
                Attempt::Failed { error, .. } | Attempt::Dead { error } => {
                    MailTestResult { provider, delivered: false, answer: None, error: Some(error) }
                }
                Attempt::NotDue => MailTestResult { provider, delivered: false, answer: None, error: None },
            },
        };
        let event = AuditEvent::new("mail.test_sent", self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .metadata(json!({ "to": to, "provider": outcome.provider, "delivered": outcome.delivered,
                "error": outcome.error }));
        self.store.record(&event).await?;
        Ok(outcome)
    }
}

fn provider_name(provider: &MailProvider) -> String {
    match provider {
        MailProvider::Log => "log",
        MailProvider::Http { .. } => "http",
        MailProvider::Smtp(_) => "smtp",
        MailProvider::Cloudflare => "cloudflare",
    }
    .into()
}
