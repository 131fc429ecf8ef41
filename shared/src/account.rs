//! Self-service accounts: sign-up, email verification, password reset and the account
//! page (`/api/signup`, `/api/verify-email`, `/api/password-reset`, `/api/account/...`),
//! and the mail outbox the admin reads (`/api/outbox`).

use serde::{Deserialize, Serialize};

/// Addresses longer than this are refused (RFC 5321 §4.5.3.1.3 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A plausible email address: one `@`, something before it, a dotted domain after it, no
/// spaces or control characters. Whether it is real is what the verification mail shows.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Some("Email is required");
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Some("Email is too long");
    }
    if email.matches('@').count() != 1
        || email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        return Some("Email format is invalid");
    }
    let Some((local, domain)) = email.split_once('@') else { return Some("Email format is invalid") };
    if local.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Some("Email format is invalid");
    }
    None
}

/// `POST /api/signup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpRequest {
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The language of the page the person signed up on (docs/i18n.md): the account's
    /// `locale`, so its mail is in that language. One this server does not speak is not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// A plain answer for the screen ("Check your inbox …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub message: String,
}

/// `POST /api/verify-email` (the link's token) and `/api/verify-email/resend` (an address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub token: String,
}

/// `POST /api/password-reset` and `/api/verify-email/resend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRequest {
    pub email: String,
}

/// `POST /api/password-reset/complete` (docs/api.md, "Public").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetComplete {
    pub token: String,
    pub password: String,
}

/// `POST /api/password-reset/complete`'s answer. A reset is the moment to drop a way in
/// that someone else added: when the account has passkeys or linked providers, `review`
/// lists them with a short-lived grant to remove any (`POST /api/password-reset/review`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetDone {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ResetReview>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetReview {
    /// Sealed, valid ten minutes: names the account, proves the reset.
    pub grant: String,
    pub passkeys: Vec<ReviewItem>,
    pub providers: Vec<ReviewItem>,
}

/// One way to sign in: its id (a passkey's credential id, a provider's name) and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub id: String,
    pub name: String,
}

/// `POST /api/password-reset/review`: what to remove after the reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRemoval {
    pub grant: String,
    #[serde(default)]
    pub passkeys: Vec<String>,
    #[serde(default)]
    pub providers: Vec<String>,
}

/// `GET /api/account`: the signed-in person's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
    pub role: String,
    pub created_at: i64,
}

/// `PATCH /api/account`: absent fields stay; an empty string clears the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// Profile text fields are at most this long.
pub const MAX_PROFILE_FIELD_CHARS: usize = 200;

/// `POST /api/account/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// `POST /api/account/confirm`: the password, and a code from the app (or a backup code)
/// when the account has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmIdentity {
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// One browser session of the signed-in person (`GET /api/account/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session's id (a hash of its cookie; it cannot be used as one).
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The session of the browser asking.
    pub current: bool,
}

/// One app the person has consented to (`GET /api/account/consents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSummary {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub updated_at: i64,
}

/// A message in the outbox (`GET /api/outbox`, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub id: String,
    pub template: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `logged` (EMAIL_PROVIDER=log), `sent`, or `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
}

/// A page of a list endpoint (docs/api.md, "Admin and account API": `{"data":[...],"total","limit","offset"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_addresses_pass_and_malformed_ones_are_named() {
        for good in ["alice@example.com", "a.b+tag@sub.example.co.uk", " bob@example.org "] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "a@b@example.com",
            "alice@.example.com",
            "alice@example..com",
            "alice@example.com.",
            "<a@example.com>",
        ] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(email_problem(&format!("{}@example.com", "a".repeat(250))), Some("Email is too long"));
    }
}

/// A provider identity linked to the signed-in account (`GET /api/account/identities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIdentity {
    /// The configured name: `/auth/{provider}`.
    pub provider: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub linked_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_at: Option<i64>,
}

/// A provider people may sign in with (`/api/ui-config`'s `providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub name: String,
    pub display_name: String,
    /// The brand whose mark the button shows (`google`, `github`, `facebook`, `linkedin`,
    /// `apple`); absent for providers of `OIDC_PROVIDERS`, which get a generic mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
}
