//! The audit push (docs/delivery.md, "Audit push"): the audit log, as D1 holds it, sent to
//! each configured sink in order, in batches of up to [`BATCH`] entries, each batch one
//! delivery (retried like every delivery). A sink has a cursor: the next batch starts
//! after the last entry of the one before, and is made only once that one is delivered, so
//! a sink that was down receives everything it missed, in order, without gaps.
//!
//! - syslog: RFC 5424 messages (facility authpriv, severity notice; `MSGID` the event),
//!   their body JSON or CEF (`AUDIT_LOG_FORMAT`), framed by octet counting (RFC 6587
//!   §3.4.1) on one TCP connection, TLS unless to loopback (RFC 5425);
//! - Splunk HTTP Event Collector: one JSON event per entry, `Authorization: Splunk <token>`;
//! - Elasticsearch: `_bulk` NDJSON, each entry indexed under its own id (a retried batch
//!   writes the same documents again, not new ones).

use serde_json::json;
use shared::audit::AuditEntry;

use super::{Deliveries, Outbound, Payload};
use crate::engine::crypto::tokens::new_uuid;
use crate::engine::delivery::smtp::{SmtpStream, SmtpTls};
use crate::engine::platform::config::{AuditFormat, AuditPush};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlRunner, UnixTime};
use crate::engine::platform::request::Platform;
use crate::engine::tables::{audit_log, audit_push_cursors};

static WRITTEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called for every audit entry written: this request has something to push.
pub fn note_written() {
    WRITTEN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether an audit entry was written since the last call (the edge then collects).
pub fn take_written() -> bool {
    WRITTEN.swap(false, std::sync::atomic::Ordering::Relaxed)
}

/// Entries in one batch at most.
pub const BATCH: i64 = 100;
/// A sink's first batch starts this long before it was first collected.
const START: UnixTime = 2 * 3600;

/// The sinks configured, by name.
pub fn sinks(push: &AuditPush) -> Vec<&'static str> {
    let mut out = Vec::new();
    if push.syslog.is_some() {
        out.push("syslog");
    }
    if push.splunk.is_some() {
        out.push("splunk");
    }
    if push.elasticsearch.is_some() {
        out.push("elasticsearch");
    }
    out
}

/// One entry as a JSON object (the body of every format but CEF).
fn entry_json(e: &AuditEntry) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_default()
}

/// CEF (ArcSight Common Event Format, rev. 25): header fields escaped for `|` and `\`,
/// extension values for `=` and `\`.
pub fn cef(e: &AuditEntry) -> String {
    let header = |v: &str| v.replace('\\', "\\\\").replace('|', "\\|");
    let value = |v: &str| v.replace('\\', "\\\\").replace('=', "\\=").replace(['\r', '\n'], " ");
    let severity = if e.event.ends_with("_failed") || e.event.ends_with(".locked") { 7 } else { 3 };
    let mut ext = vec![format!("rt={}", value(&e.timestamp)), format!("externalId={}", value(&e.id))];
    let pairs = [
        ("suser", &e.actor_id),
        ("cs1", &e.actor_type),
        ("cs2", &e.resource_type),
        ("duid", &e.resource_id),
        ("src", &e.ip_address),
        ("requestClientApplication", &e.user_agent),
    ];
    for (key, v) in pairs {
        if let Some(v) = v {
            ext.push(format!("{key}={}", value(v)));
        }
    }
    ext.push("cs1Label=actorType cs2Label=resourceType".into());
    format!("CEF:0|Authority|Authority|1.0|{}|{}|{severity}|{}", header(&e.event), header(&e.event), ext.join(" "))
}

/// One RFC 5424 message framed by octet counting: `<85>1 TIMESTAMP HOST authority - MSGID - MSG`.
pub fn syslog_frame(e: &AuditEntry, host: &str, format: AuditFormat) -> String {
    let body = match format {
        AuditFormat::Json => entry_json(e).to_string(),
        AuditFormat::Cef => cef(e),
    };
    // PRI 85: facility authpriv (10), severity notice (5).
    let msgid: String = e.event.chars().filter(|c| c.is_ascii_graphic()).take(32).collect();
    let message = format!("<85>1 {} {host} authority - {msgid} - {body}", e.timestamp);
    format!("{} {message}", message.len())
}

/// The body a batch carries to `sink`.
pub fn batch_body(sink: &str, entries: &[AuditEntry], push: &AuditPush, host: &str) -> String {
    match sink {
        "syslog" => entries.iter().map(|e| syslog_frame(e, host, push.format)).collect(),
        "splunk" => entries
            .iter()
            .map(|e| {
                json!({ "time": e.timestamp, "host": host, "source": "authority", "sourcetype": "authority:audit",
                    "event": entry_json(e) })
                .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => {
            let index = push.elasticsearch.as_ref().map(|s| s.index.as_str()).unwrap_or("authority-audit");
            entries
                .iter()
                .map(|e| format!("{}\n{}\n", json!({ "index": { "_index": index, "_id": e.id } }), entry_json(e)))
                .collect()
        }
    }
}

impl<P: Platform> Deliveries<'_, P> {
    /// For each sink with no batch in flight: the next batch after its cursor, recorded with
    /// the cursor's move (one batch) and dispatched. Returns the new deliveries' ids.
    pub async fn collect_audit_push(&self) -> Result<Vec<String>, InternalError> {
        let host = self.host();
        let mut created = Vec::new();
        for sink in sinks(&self.config.audit_push) {
            let rows =
                audit_log::positioned(self.store.select(audit_log::next_push(sink, self.now - START, BATCH)).await?)?;
            let (Some(first), Some((_, last_rowid, last_at))) = (rows.first(), rows.last()) else { continue };
            let entries: Vec<AuditEntry> = rows.iter().map(|(e, _, _)| e.clone()).collect();
            let id = new_uuid(self.rng)?;
            let payload = Payload::AuditBatch {
                sink: sink.into(),
                body: batch_body(sink, &entries, &self.config.audit_push, &host),
            };
            let summary = format!("{} audit entries to {sink}", entries.len());
            let reference = format!("audit {sink} {}", first.0.id);
            let record = self.record_once(&id, &summary, &payload, Some(&reference))?;
            let changed = self.store.batch(&[record, audit_push_cursors::set(sink, *last_at, *last_rowid)]).await?;
            if changed.first() == Some(&1) {
                created.push(id);
            }
        }
        for id in &created {
            self.dispatch(id).await?;
        }
        Ok(created)
    }

    /// Sends an audit batch to its sink; `Ok` is what the sink answered.
    pub(super) async fn send_audit_batch(&self, sink: &str, body: &str) -> Result<String, String> {
        let push = &self.config.audit_push;
        match sink {
            "syslog" => {
                let Some(s) = &push.syslog else { return Err("AUDIT_LOG_SYSLOG is no longer on".into()) };
                let tls = if s.tls { SmtpTls::Implicit } else { SmtpTls::None };
                let mut stream = self.outbound.connect(&s.host, s.port, tls).await?;
                stream.write_all(body.as_bytes()).await?;
                Ok(format!("written to {}:{}", s.host, s.port))
            }
            "splunk" => {
                let Some(s) = &push.splunk else { return Err("AUDIT_LOG_SPLUNK_URL is no longer set".into()) };
                let url = format!("{}/services/collector/event", s.url);
                let headers = [
                    ("content-type", "application/json".to_owned()),
                    ("authorization", format!("Splunk {}", s.token.expose())),
                ];
                self.outbound.post(&url, &headers, body).await.map(|status| format!("{url} answered {status}"))
            }
            "elasticsearch" => {
                let Some(s) = &push.elasticsearch else {
                    return Err("AUDIT_LOG_ELASTICSEARCH_URL is no longer set".into());
                };
                let url = format!("{}/_bulk", s.url);
                let mut headers = vec![("content-type", "application/x-ndjson".to_owned())];
                if let Some(key) = &s.api_key {
                    headers.push(("authorization", format!("ApiKey {}", key.expose())));
                }
                self.outbound.post(&url, &headers, body).await.map(|status| format!("{url} answered {status}"))
            }
            other => Err(format!("no sink `{other}`")),
        }
    }

    /// The issuer's host (syslog's HOSTNAME, a mail's Message-ID domain).
    pub(super) fn host(&self) -> String {
        url::Url::parse(&self.config.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into())
    }
}
