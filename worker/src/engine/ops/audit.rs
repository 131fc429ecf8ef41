//! The audit log: security-relevant events, written to D1 (docs/api.md, "Audit log").

use serde_json::Value;

use crate::engine::crypto::tokens::new_uuid;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{Random, Statement, UnixTime};

/// Who and where a request came from, for audit entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// Where Cloudflare placed the address (`San Francisco, CA`), for sessions; not audited.
    pub location: Option<String>,
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

impl AuditEvent {
    /// The INSERT of this entry, for a batch that must record it with the change it
    /// describes (both or neither).
    pub fn statement(&self) -> Statement<'static> {
        crate::engine::ops::metrics::count("authority_audit_events_total", &[("event", self.event)]);
        crate::engine::tables::audit_log::insert(self)
    }
}

/// The `audit_log` table (migrations/0002) over the one SQL port.
impl<T: crate::engine::platform::ports::SqlRunner> AuditStore for T {
    async fn record(&self, e: &AuditEvent) -> Result<(), InternalError> {
        let (sql, args) = e.statement();
        self.execute(sql, &args).await.map(|_| ())
    }
}
