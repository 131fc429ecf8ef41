//! The audit log: security-relevant events, written to D1 (contract, "Audit log").

use serde_json::Value;

use super::error::InternalError;
use super::ports::{Random, UnixTime};
use super::users::new_uuid;

/// Who and where a request came from, for audit entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: String,
    pub timestamp: UnixTime,
    pub event: &'static str,
    pub actor_id: Option<String>,
    /// `user`, `client` or `system`.
    pub actor_type: Option<&'static str>,
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: Value,
}

impl AuditEvent {
    pub fn new(
        event: &'static str,
        meta: &RequestMeta,
        now: UnixTime,
        rng: &impl Random,
    ) -> Result<Self, InternalError> {
        Ok(AuditEvent {
            id: new_uuid(rng)?,
            timestamp: now,
            event,
            actor_id: None,
            actor_type: None,
            resource_type: None,
            resource_id: None,
            ip_address: meta.ip_address.clone(),
            user_agent: meta.user_agent.clone(),
            metadata: Value::Object(Default::default()),
        })
    }

    pub fn actor(mut self, actor_type: &'static str, id: &str) -> Self {
        self.actor_type = Some(actor_type);
        self.actor_id = Some(id.into());
        self
    }

    pub fn resource(mut self, resource_type: &'static str, id: &str) -> Self {
        self.resource_type = Some(resource_type);
        self.resource_id = Some(id.into());
        self
    }

    pub fn metadata(mut self, metadata: Value) -> Self {
        self.metadata = metadata;
        self
    }
}

#[allow(async_fn_in_trait)]
pub trait AuditStore {
    async fn record(&self, event: &AuditEvent) -> Result<(), InternalError>;
}
