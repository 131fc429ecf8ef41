//! Signed webhooks of security events (docs/delivery.md, "Webhooks"): each audit entry of
//! [`EVENTS`] becomes one delivery per `NOTIFICATION_WEBHOOK` URL, a JSON POST signed the
//! Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
//! `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret).
//!
//! The audit log is the source: a request that writes such an entry notes it ([`note`]),
//! and after its answer the edge collects the entries that have no delivery yet
//! ([`Deliveries::collect_webhooks`]); the hourly Cron collects too, so an entry whose
//! request died before collecting is sent within the hour. A delivery's `reference` (the
//! entry's id and the URL) makes the collection idempotent across isolates.

use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use shared::audit::AuditEntry;

use super::{Deliveries, Outbound, Payload};
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::platform::request::Platform;
use crate::engine::tables::audit_log;

/// The audit events sent (`client.secret_rotated` only with `NOTIFY_ON_SECRET_ROTATION`).
pub const EVENTS: &[&str] =
    &["client.created", "client.deleted", "client.secret_rotated", "user.locked", "key.rotated", "settings.updated"];
const SECRET_ROTATION: &str = "client.secret_rotated";

/// How far back a collection looks: entries older than this were collected by an
/// earlier run (a request's, or the hourly Cron's) or predate the webhook.
pub const WINDOW: UnixTime = 2 * 3600;
/// Entries one collection takes per URL at most (the next one takes the rest).
const BATCH: i64 = 100;

static NOTED: AtomicBool = AtomicBool::new(false);

/// Called for every audit entry written: remembers that this request wrote one a
/// webhook carries.
pub fn note(event: &str) {
    if EVENTS.contains(&event) {
        NOTED.store(true, Ordering::Relaxed);
    }
}

/// Whether a webhook event was written since the last call (the edge then collects).
pub fn take_noted() -> bool {
    NOTED.swap(false, Ordering::Relaxed)
}

/// The JSON body of `entry` (the Standard Webhooks shape: `type`, `timestamp`, `data`).
pub fn body(entry: &AuditEntry) -> String {
    json!({
        "type": entry.event,
        "timestamp": entry.timestamp,
        "data": {
            "audit_id": entry.id,
            "actor": { "type": entry.actor_type, "id": entry.actor_id },
            "resource": { "type": entry.resource_type, "id": entry.resource_id },
            "ip_address": entry.ip_address,
            "metadata": entry.metadata,
        },
    })
    .to_string()
}

/// Standard Webhooks `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body`.
pub fn signature(key: &[u8], id: &str, timestamp: UnixTime, body: &str) -> Result<String, InternalError> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).map_err(|e| InternalError::new(format!("hmac: {e}")))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

impl<P: Platform> Deliveries<'_, P> {
    /// The recent entries of [`EVENTS`] without their delivery to each URL: recorded (one
    /// batch per URL) and dispatched. Returns the new deliveries' ids.
    pub async fn collect_webhooks(&self) -> Result<Vec<String>, InternalError> {
        let Some(hooks) = &self.config.webhooks else { return Ok(Vec::new()) };
        let events: Vec<&str> =
            EVENTS.iter().copied().filter(|e| *e != SECRET_ROTATION || hooks.on_secret_rotation).collect();
        let mut created = Vec::new();
        for url in &hooks.urls {
            let entries = audit_log::entries(
                self.store.select(audit_log::without_webhook(self.now - WINDOW, &events, url, BATCH)).await?,
            )?;
            if entries.is_empty() {
                continue;
            }
            let mut ids = Vec::new();
            let mut statements = Vec::new();
            for entry in &entries {
                let id = new_uuid(self.rng)?;
                let payload = Payload::Webhook { url: url.clone(), body: body(entry) };
                let reference = format!("{} {url}", entry.id);
                statements.push(self.record_once(
                    &id,
                    &format!("{} to {url}", entry.event),
                    &payload,
                    Some(&reference),
                )?);
                ids.push(id);
            }
            let changed = self.store.batch(&statements).await?;
            created.extend(ids.into_iter().zip(changed).filter(|(_, n)| *n == 1).map(|(id, _)| id));
        }
        for id in &created {
            self.dispatch(id).await?;
        }
        Ok(created)
    }

    /// POSTs a webhook delivery, signed; `Ok` is the receiver's status.
    pub(super) async fn send_webhook(&self, id: &str, url: &str, body: &str) -> Result<String, String> {
        let Some(hooks) = &self.config.webhooks else {
            return Err("NOTIFICATION_WEBHOOK is no longer set".into());
        };
        let signed = signature(&hooks.key.0, id, self.now, body).map_err(|e| e.detail().to_owned())?;
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", self.now.to_string()),
            ("webhook-signature", signed),
        ];
        self.outbound.post(url, &headers, body).await.map(|status| format!("{url} answered {status}"))
    }
}
