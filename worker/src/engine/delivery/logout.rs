//! Back-channel Logout Tokens as deliveries (OpenID Connect Back-Channel Logout 1.0 §2.5,
//! docs/delivery.md): what to tell is the `logout_deliveries` row of the delivery's id;
//! each attempt signs a fresh token with that `jti` and POSTs it as a form; any 2xx is
//! delivered. Every outcome is audited as before the move (`logout.backchannel_*`).

use futures_util::future::join_all;
use serde_json::json;

use super::{Attempt, Deliveries, Outbound, SWEEP_LIMIT};
use crate::engine::oauth::backchannel_logout::logout_token;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlRunner, Statement};
use crate::engine::platform::request::Platform;
use crate::engine::tables::deliveries;
use crate::engine::tables::logout_deliveries::{self, Delivery};

/// The `deliveries.kind` of a Logout Token.
pub const KIND: &str = "logout";

impl<P: Platform> Deliveries<'_, P> {
    /// What delivery `id` tells whom; `None` once the cleanup took it.
    pub(super) async fn logout_of(&self, id: &str) -> Result<Option<Delivery>, InternalError> {
        logout_deliveries::decode(self.store.select(logout_deliveries::by_id(id)).await?)
            .map_err(|e| InternalError::new(format!("logout delivery row: {e}")))
    }

    /// One POST of a signed Logout Token (§2.5).
    pub(super) async fn send_logout(&self, delivery: Option<&Delivery>) -> Result<String, String> {
        let delivery = delivery.ok_or("the Logout Token's session is no longer known (cleaned up)")?;
        let token = logout_token(self.signer, self.keys, self.config, delivery, self.now)
            .await
            .map_err(|e| format!("signing: {}", e.detail()))?;
        let headers = [("content-type", "application/x-www-form-urlencoded".to_owned())];
        let body = format!("logout_token={token}");
        let status = self.outbound.post(&delivery.uri, &headers, &body).await?;
        Ok(format!("{} answered {status}", delivery.uri))
    }

    /// The audit entry of an attempt's outcome.
    pub(super) fn logout_audit(
        &self,
        delivery: &Delivery,
        attempts: i64,
        outcome: &Attempt,
    ) -> Result<Statement<'static>, InternalError> {
        let mut metadata = json!({ "sid": delivery.session_id, "attempts": attempts, "jti": delivery.id });
        let (name, extra) = match outcome {
            Attempt::Delivered { .. } | Attempt::NotDue => ("logout.backchannel_delivered", json!({})),
            Attempt::Failed { error, retry_in } => {
                ("logout.backchannel_failed", json!({ "error": error, "next_attempt_at": self.now + retry_in }))
            }
            Attempt::Dead { error } => ("logout.backchannel_given_up", json!({ "error": error })),
        };
        if let (Some(m), serde_json::Value::Object(e)) = (metadata.as_object_mut(), extra) {
            m.extend(e);
        }
        Ok(AuditEvent::new(name, self.meta, self.now, self.rng)?
            .actor("system", "backchannel_logout")
            .resource("client", &delivery.client_id)
            .metadata(metadata)
            .statement())
    }

    /// After a request that ended sessions: each due Logout Token to the Queue (or, with
    /// none bound, attempted now, in parallel).
    pub async fn dispatch_logouts(&self) -> Result<usize, InternalError> {
        #[derive(serde::Deserialize)]
        struct Due {
            id: String,
        }
        let due: Vec<Due> = self
            .store
            .select(deliveries::due(self.now, SWEEP_LIMIT, Some(KIND)))
            .await?
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(|e| InternalError::new(format!("due: {e}")))?;
        let dispatched = join_all(due.iter().map(|d| self.dispatch(&d.id))).await;
        dispatched.into_iter().collect::<Result<Vec<()>, _>>().map(|done| done.len())
    }
}
