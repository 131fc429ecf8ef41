//! Outbound deliveries as the admin API shows them (`GET /api/deliveries`): what the
//! server is sending, has sent, or gave up on (docs/delivery.md).

use serde::{Deserialize, Serialize};

/// `pending` (being attempted, or waiting for its next attempt), `delivered`, `dead` (no
/// attempts left; an admin may retry it).
pub const STATUSES: &[&str] = &["pending", "delivered", "dead"];

/// What a delivery carries: a mail, a webhook, a batch of the audit log for one sink, or a
/// back-channel Logout Token.
pub const KINDS: &[&str] = &["mail", "webhook", "audit", "logout"];

/// One delivery. Its payload is never shown (a mail's link may be a credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The idempotency key the receiver sees (a mail's Message-ID).
    pub id: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// What it is, e.g. `password-reset to ada@example.com`.
    pub summary: String,
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub next_attempt_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub delivered_at: Option<i64>,
}

/// `POST /api/mail/test` `{"to": "<address>"}` (a super_admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailTest {
    pub to: String,
}

/// What the configured transport answered to the test message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailTestResult {
    /// `log`, `http`, `smtp` or `cloudflare` (`EMAIL_PROVIDER`).
    pub provider: String,
    pub delivered: bool,
    /// The transport's answer (a mail server's last reply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Why it failed (it is then a pending delivery, retried like any other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
