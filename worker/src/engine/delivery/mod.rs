//! Outbound deliveries (docs/delivery.md): every message this server sends to someone
//! else is a `deliveries` row first, sealed under `SECRET_KEY` (a mail's link may be a
//! credential), then attempted through the Queue (or, with no Queue bound, at once and by
//! the hourly Cron sweep) until it is delivered or dead:
//!
//! - an attempt first claims the row (counted, and leased for [`LEASE`] seconds, so a
//!   Queue redelivery, the sweep and another isolate leave it alone; an attempt that dies
//!   with its isolate is due again when the lease ends);
//! - a failure is due again after [`backoff`] (30 s, doubling, at most 6 h), and after
//!   [`MAX_ATTEMPTS`] the row is `dead`: kept with its payload and last error for the
//!   console, where an admin can retry it;
//! - delivery is at least once: the row's id is the idempotency key the receiver sees (a
//!   mail's `Message-ID`, the HTTP API's `Idempotency-Key`).

pub mod admin;
pub mod audit_push;
pub mod logout;
pub mod message;
pub mod smtp;
pub mod webhooks;

use serde::{Deserialize, Serialize};

use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::platform::config::MailProvider;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlRunner, Statement, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::deliveries::{self, DeliveryRow};
use crate::engine::tables::mail_outbox;
use smtp::{SmtpStream, SmtpTls, Submission};

/// Attempts before a delivery is dead.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed attempt has before the delivery is due again.
pub const LEASE: i64 = 120;
/// Deliveries one Cron sweep attempts at most.
pub const SWEEP_LIMIT: i64 = 50;

/// The wait after the `attempts`-th failed attempt: 30 s, 60 s, 2 min, ... at most 6 h.
pub fn backoff(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    30i64.saturating_mul(1i64 << exponent).min(6 * 3600)
}

/// The ports that reach other machines: the Queue, mail servers and HTTP APIs.
#[allow(async_fn_in_trait)]
pub trait Outbound {
    type Smtp: SmtpStream;
    /// Hands delivery `id` to the Queue, to be attempted after `delay_seconds`;
    /// `Ok(false)` when no Queue is bound (the caller attempts it, the sweep retries it).
    async fn enqueue(&self, id: &str, delay_seconds: u32) -> Result<bool, String>;
    /// A connection to a mail server (`SMTP_TLS` decides how it starts).
    async fn connect(&self, host: &str, port: u16, tls: SmtpTls) -> Result<Self::Smtp, String>;
    /// POSTs `body` with `headers` (the mail API, a webhook, an audit sink); `Ok` is the
    /// answer's status (2xx), `Err` what went wrong (another status, no answer).
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String>;
    /// Hands a whole MIME message to Cloudflare's `send_email` binding; `Ok` is the
    /// Message-ID it answered.
    async fn send_email(&self, from: &str, to: &str, message: &[u8]) -> Result<String, String>;
}

/// What a delivery carries (sealed in its row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    Mail {
        to: String,
        subject: String,
        text: String,
        html: String,
        created_at: UnixTime,
    },
    /// A webhook event (`webhooks`): the JSON body POSTed to `url`.
    Webhook {
        url: String,
        body: String,
    },
    /// A batch of the audit log for one sink (`audit_push`), formatted for it.
    AuditBatch {
        sink: String,
        body: String,
    },
}

impl Payload {
    fn kind(&self) -> &'static str {
        match self {
            Payload::Mail { .. } => "mail",
            Payload::Webhook { .. } => "webhook",
            Payload::AuditBatch { .. } => "audit",
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Taken; what the receiver answered (a mail server's last reply).
    Delivered { answer: String },
    /// Failed; due again after `retry_in` seconds.
    Failed { error: String, retry_in: i64 },
    /// Failed for the last time.
    Dead { error: String },
    /// Not due, already delivered, or claimed by another attempt: nothing done.
    NotDue,
}

/// The deliveries of a request's context.
pub struct Deliveries<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

crate::engine::platform::request::request_context_view!(Deliveries);

impl<P: Platform> Deliveries<'_, P> {
    /// The statement that records `payload` as delivery `id` (for the caller's batch, with
    /// what it belongs to), `summary` naming it in the console.
    pub fn record(&self, id: &str, summary: &str, payload: &Payload) -> Result<Statement<'static>, InternalError> {
        self.record_once(id, summary, payload, None)
    }

    /// [`Self::record`], but none when a delivery with `reference` exists.
    fn record_once(
        &self,
        id: &str,
        summary: &str,
        payload: &Payload,
        reference: Option<&str>,
    ) -> Result<Statement<'static>, InternalError> {
        let json = serde_json::to_vec(payload).map_err(|e| InternalError::new(format!("a delivery: {e}")))?;
        let sealed = sealed::seal(&self.config.secret_key, Purpose::Delivery, id.as_bytes(), &json, self.rng)?;
        Ok(deliveries::insert(id, payload.kind(), summary, &sealed, self.now, reference))
    }

    /// After [`Self::record`] landed: to the Queue, or, with none bound, one attempt now
    /// (its failure waits for the sweep). Never an error for the request that caused it.
    pub async fn dispatch(&self, id: &str) -> Result<(), InternalError> {
        match self.outbound.enqueue(id, 0).await {
            Ok(true) => Ok(()),
            // No Queue, or it refused the message: try now; a failure is recorded on the
            // row and the sweep retries it.
            Ok(false) | Err(_) => self.attempt(id).await.map(|_| ()),
        }
    }

    /// One attempt at delivery `id`, if it is due: claimed, sent, recorded.
    pub async fn attempt(&self, id: &str) -> Result<Attempt, InternalError> {
        let claimed = deliveries::decode(self.store.select(deliveries::claim(id, self.now, self.now + LEASE)).await?)?;
        let Some(row) = claimed.into_iter().next() else { return Ok(Attempt::NotDue) };
        // A Logout Token's content is its `logout_deliveries` row (`logout`).
        let logout = if row.kind == logout::KIND { Some(self.logout_of(&row.id).await?) } else { None };
        let sent = match &logout {
            Some(details) => self.send_logout(details.as_ref()).await,
            None => self.send(&row).await,
        };
        let outcome = match sent {
            Ok(answer) => Attempt::Delivered { answer },
            Err(error) if row.attempts >= MAX_ATTEMPTS => Attempt::Dead { error },
            Err(error) => Attempt::Failed { error, retry_in: backoff(row.attempts) },
        };
        match &outcome {
            Attempt::Delivered { .. } => log::debug!("delivery {id} ({}) delivered", row.kind),
            Attempt::Failed { error, retry_in } => {
                log::warn!(
                    "delivery {id} ({}) failed, attempt {}, again in {retry_in}s: {error}",
                    row.kind,
                    row.attempts
                )
            }
            Attempt::Dead { error } => {
                log::error!("delivery {id} ({}) given up after {} attempts: {error}", row.kind, row.attempts)
            }
            Attempt::NotDue => {}
        }
        let statements: Vec<Statement<'static>> = match &outcome {
            Attempt::Delivered { .. } => {
                vec![deliveries::delivered(id, self.now), mail_outbox::mark(id, "sent", None, self.now)]
            }
            Attempt::Failed { error, retry_in } => vec![
                deliveries::failed(id, error, self.now + retry_in, false),
                mail_outbox::mark(id, "pending", Some(error), self.now),
            ],
            Attempt::Dead { error } => vec![
                deliveries::failed(id, error, self.now, true),
                mail_outbox::mark(id, "failed", Some(error), self.now),
            ],
            Attempt::NotDue => vec![],
        };
        let mut statements = statements;
        if let Some(Some(details)) = &logout {
            statements.push(self.logout_audit(details, row.attempts, &outcome)?);
        }
        self.store.batch(&statements).await?;
        Ok(outcome)
    }

    /// The Cron sweep: every due delivery (up to [`SWEEP_LIMIT`]), attempted in turn.
    pub async fn sweep(&self) -> Result<Vec<(String, Attempt)>, InternalError> {
        #[derive(Deserialize)]
        struct Due {
            id: String,
        }
        let due = self.store.select(deliveries::due(self.now, SWEEP_LIMIT, None)).await?;
        let mut out = Vec::new();
        for row in due {
            let Due { id } = serde_json::from_value(row).map_err(|e| InternalError::new(format!("due: {e}")))?;
            let attempt = self.attempt(&id).await?;
            out.push((id, attempt));
        }
        Ok(out)
    }

    /// An admin's "retry now": a pending or dead delivery attempted at once with a fresh
    /// budget; the row as it is afterwards (`None`: no such delivery, or delivered).
    pub async fn retry_now(&self, id: &str) -> Result<Option<DeliveryRow>, InternalError> {
        if self.store.exec(deliveries::revive(id, self.now)).await? == 0 {
            return Ok(None);
        }
        self.attempt(id).await?;
        Ok(deliveries::decode(self.store.select(deliveries::by_id(id)).await?)?.into_iter().next())
    }

    /// Sends what `row` carries through the configured transport; `Ok` is the receiver's
    /// answer.
    async fn send(&self, row: &DeliveryRow) -> Result<String, String> {
        let Some(sealed_payload) = &row.payload_sealed else { return Err("the delivery has no payload".into()) };
        let payload: Payload =
            sealed::open(&self.config.secret_key, Purpose::Delivery, row.id.as_bytes(), sealed_payload)
                .ok()
                .and_then(|bytes| crate::engine::platform::json::parse(&bytes).ok())
                .ok_or("the payload cannot be opened (was SECRET_KEY changed?)")?;
        match payload {
            Payload::Mail { to, subject, text, html, created_at } => {
                let mail = MailOut { id: &row.id, to: &to, subject: &subject, text: &text, html: &html, created_at };
                self.send_mail(&mail).await
            }
            Payload::Webhook { url, body } => self.send_webhook(&row.id, &url, &body).await,
            Payload::AuditBatch { sink, body } => self.send_audit_batch(&sink, &body).await,
        }
    }

    async fn send_mail(&self, m: &MailOut<'_>) -> Result<String, String> {
        let settings = &self.config.mail;
        match &settings.provider {
            MailProvider::Log => Ok("EMAIL_PROVIDER=log: kept in the outbox".into()),
            MailProvider::Http { url, api_key } => {
                let from = if settings.from_name.is_empty() {
                    settings.from_address.clone()
                } else {
                    format!("{} <{}>", settings.from_name, settings.from_address)
                };
                let body = serde_json::json!({ "from": from, "to": [m.to], "subject": m.subject, "text": m.text,
                    "html": m.html })
                .to_string();
                let headers = [
                    ("content-type", "application/json".to_owned()),
                    ("authorization", format!("Bearer {}", api_key.expose())),
                    ("idempotency-key", m.id.to_owned()),
                ];
                self.outbound.post(url, &headers, &body).await.map(|status| format!("{url} answered {status}"))
            }
            MailProvider::Smtp(server) => {
                let domain = self.host();
                let bytes = self.render_mail(m, &domain)?;
                let stream = self.outbound.connect(&server.host, server.port, server.tls).await?;
                let credentials = server.user.as_deref().zip(server.password.as_ref().map(|p| p.expose()));
                let submission = Submission { tls: server.tls, credentials, helo: &domain };
                smtp::submit(stream, &submission, &settings.from_address, m.to, &bytes).await
            }
            MailProvider::Cloudflare => {
                let bytes = self.render_mail(m, &self.host())?;
                let id = self.outbound.send_email(&settings.from_address, m.to, &bytes).await?;
                Ok(format!("send_email accepted it as {id}"))
            }
        }
    }

    /// The MIME message (`message`) for SMTP and `send_email`: its Message-ID is the
    /// delivery's id at this server's host.
    fn render_mail(&self, m: &MailOut<'_>, domain: &str) -> Result<Vec<u8>, String> {
        let settings = &self.config.mail;
        message::render(&message::Message {
            id: m.id,
            domain,
            from_name: &settings.from_name,
            from_address: &settings.from_address,
            to: m.to,
            subject: m.subject,
            text: m.text,
            html: m.html,
            date: m.created_at,
        })
        .map_err(|e| e.detail().to_owned())
    }
}

/// A mail being sent: the delivery id and what it says.
struct MailOut<'a> {
    id: &'a str,
    to: &'a str,
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    created_at: UnixTime,
}

#[cfg(test)]
mod tests;
