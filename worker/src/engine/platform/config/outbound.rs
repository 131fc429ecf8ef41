//! What reaches other machines (docs/delivery.md): the mail transport, the webhooks and
//! the audit push's sinks, as the configuration holds them.

use std::fmt;

use super::Secret;
use crate::engine::delivery::smtp::SmtpTls;

/// How mail leaves (docs/api.md, "Mail"): every message is written to the outbox first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub provider: MailProvider,
    /// `SMTP_FROM` and `SMTP_FROM_NAME` (the sender, docs/configuration.md).
    pub from_address: String,
    pub from_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailProvider {
    /// `EMAIL_PROVIDER=log`: nothing leaves; the outbox is read in the admin UI and by tests.
    Log,
    /// `EMAIL_PROVIDER=http`: each message is POSTed as JSON `{from,to,subject,text,html}`
    /// to `EMAIL_API_URL` with `Authorization: Bearer EMAIL_API_KEY` (the shape of
    /// Resend's API and of many relays).
    Http { url: String, api_key: Secret },
    /// `EMAIL_PROVIDER=smtp`: submitted to `SMTP_HOST` over a Workers TCP socket
    /// (`engine::delivery::smtp`).
    Smtp(SmtpServer),
    /// `EMAIL_PROVIDER=cloudflare`: the same MIME message handed to the Worker's
    /// `SEND_EMAIL` binding (Cloudflare Email Routing's `send_email`), which delivers it
    /// to the account's verified destination addresses (docs/delivery.md, "Mail transports").
    Cloudflare,
}

/// `NOTIFICATION_WEBHOOK`, `NOTIFICATION_WEBHOOK_SECRET`, `NOTIFY_ON_SECRET_ROTATION`
/// (docs/delivery.md, "Webhooks").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    pub urls: Vec<String>,
    pub key: WebhookKey,
    /// `client.secret_rotated` events are sent too.
    pub on_secret_rotation: bool,
}

/// The HMAC-SHA256 key webhooks are signed with; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookKey(pub Vec<u8>);

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookKey(..)")
    }
}

/// Where the audit log is pushed (docs/delivery.md, "Audit push"); no sink: nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPush {
    /// `AUDIT_LOG_FORMAT`: the syslog messages' body.
    pub format: AuditFormat,
    pub syslog: Option<SyslogSink>,
    pub splunk: Option<SplunkSink>,
    pub elasticsearch: Option<ElasticsearchSink>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditFormat {
    Json,
    /// ArcSight Common Event Format.
    Cef,
}

/// RFC 5424 messages over TCP (RFC 6587 octet counting), TLS unless to loopback (RFC 5425).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSink {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

/// Splunk's HTTP Event Collector: `{url}/services/collector/event`, `Authorization: Splunk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplunkSink {
    pub url: String,
    pub token: Secret,
}

/// Elasticsearch `{url}/_bulk` into `index` (`Authorization: ApiKey`, when one is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElasticsearchSink {
    pub url: String,
    pub index: String,
    pub api_key: Option<Secret>,
}

/// `SMTP_HOST`, `SMTP_PORT`, `SMTP_TLS`, `SMTP_USER`, `SMTP_PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<Secret>,
}
