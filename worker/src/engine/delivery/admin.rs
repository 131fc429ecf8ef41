//! Deliveries over the admin API (docs/delivery.md): the list with its status filter, and
//! an admin's "retry now" of a pending or dead one (audited `delivery.retried`). The
//! payload never leaves the server.

use serde_json::json;
use shared::account::Page;
use shared::deliveries::{Delivery, STATUSES};

use super::Deliveries;
use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
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
    /// `GET /api/deliveries?status=&limit=&offset=`, newest first.
    pub async fn list(&self, status: Option<&str>, limit: u32, offset: u32) -> Result<Page<Delivery>, ApiError> {
        if let Some(status) = status.filter(|s| !STATUSES.contains(s)) {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!("status `{status}` is not one of {}", STATUSES.join(", ")),
            ));
        }
        let [rows, total] = self.store.select_pair_of(deliveries::page(status, limit, offset)).await?;
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
