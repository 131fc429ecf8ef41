//! Wire types of the admin API on users (docs/api.md, "Admin and account API"): what the
//! console sends and reads, and what scripts see.

use serde::{Deserialize, Serialize};

/// A user as the admin API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `user`, `admin` or `super_admin`.
    pub role: String,
    pub active: bool,
    pub email_verified: bool,
    /// Password sign-in is locked now (`locked`, `unlock_at`).
    pub locked: bool,
    /// When the lockout in force began.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub locked_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub unlock_at: Option<i64>,
    pub failed_attempts: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub last_login_at: Option<i64>,
    /// A second factor (an authenticator app or a passkey) is in force (its
    /// `mfa_enabled`); `mfa_configured_at` is when the first was.
    #[serde(default)]
    pub mfa_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub mfa_configured_at: Option<i64>,
}

/// `POST /api/users`: a password, or `send_password_mail` for a link to set one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `user` (default), `admin` or `super_admin`: only a super_admin makes admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub send_password_mail: bool,
    /// Default false; an admin may vouch for the address.
    #[serde(default)]
    pub email_verified: bool,
}

/// `PATCH /api/users/{id}`: present fields change, absent ones stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `GET /api/users/{id}/password-status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordStatus {
    pub has_password: bool,
    /// The last change (or the account's creation when it was never changed).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub last_changed: Option<i64>,
    /// When the password expires (`PASSWORD_EXPIRY_DAYS`, `ADMIN_PASSWORD_EXPIRY_DAYS`);
    /// `None` when passwords of this role do not expire or there is no password.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub expires_at: Option<i64>,
    /// Whole days left (negative once expired); with `expires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_until_expiry: Option<i64>,
    /// The next sign-in must change the password first (expired past the grace days).
    pub requires_change: bool,
    /// The same instant as `last_changed` (the first name of this API).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub changed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
}

/// One browser session of a user, as `GET /api/users/{id}/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSession {
    /// The session's id hash (the cookie value is never stored).
    pub id: String,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    /// The last request seen (moved at most once a minute; docs/api.md, "Sessions").
    #[serde(with = "crate::time::rfc3339")]
    pub last_activity: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub last_seen_at: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The browser and system from the user agent: `Chrome on macOS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Where the sign-in came from, as Cloudflare placed its address: `San Francisco, CA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A browser session as `GET /api/sessions` lists it, with its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSession {
    /// The session's id hash (the cookie value is never stored).
    pub id: String,
    pub user_id: String,
    pub email: String,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    /// The last request seen (moved at most once a minute; docs/api.md, "Sessions").
    #[serde(with = "crate::time::rfc3339")]
    pub last_activity: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub last_seen_at: i64,
    #[serde(with = "crate::time::rfc3339")]
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The browser and system from the user agent: `Chrome on macOS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Where the sign-in came from, as Cloudflare placed its address: `San Francisco, CA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// `DELETE /api/sessions?older_than=…|ip=…`: how many sessions ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub ended: u64,
}

/// `GET /api/metrics/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMetrics {
    /// Live sessions (within their lifetime and idle timeout).
    pub active: u64,
    /// People with at least one live session.
    pub users: u64,
    pub created_last_hour: u64,
    pub created_last_24h: u64,
    pub created_last_30d: u64,
    /// docs/api.md, "Sessions": live sessions (= `active`), sessions started since
    /// midnight UTC, and people with a live session (= `users`).
    pub active_sessions: u64,
    pub sessions_today: u64,
    pub unique_users: u64,
}

/// One setting as `GET /api/settings` shows it: its effective value (a secret's only as
/// `set`), and where that value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    /// The effective value; `None` when unset. A secret's is never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub secret: bool,
    /// `database` (changed at run time), `environment` (wrangler.toml `[vars]` or a
    /// secret), `unset`, or `unread`: a setting of the Crystal server's that this deployment
    /// sets but this server does not read (its value never shown; `instead` says what to use).
    pub source: String,
    /// Whether `PATCH /api/settings` may change it.
    pub runtime: bool,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub updated_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    /// For an `unread` setting: what takes its place here, or why nothing does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
}

/// `GET /api/metrics/sign-ins?period=24h|30d`: password sign-ins and failures per hour
/// (24h) or per UTC day (30d), oldest first, every bucket present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStats {
    pub period: String,
    pub bucket_seconds: i64,
    pub buckets: Vec<SignInBucket>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInBucket {
    /// The bucket's start.
    #[serde(with = "crate::time::rfc3339")]
    pub start: i64,
    pub sign_ins: u64,
    pub failures: u64,
}

/// A signing key as `GET /api/keys` shows it: never private material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyInfo {
    /// RFC 7638 JWK thumbprint, as in the JWKS and each token's header.
    pub kid: String,
    pub alg: String,
    /// `pending` (published, signs from `activate_at`), `active` (signs), `verify` (still
    /// published for tokens it signed) or `retired`.
    pub status: String,
    /// In the JWKS now.
    pub published: bool,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    /// A pending key starts signing at this time.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub activate_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub publish_until: Option<i64>,
}

/// `POST /api/keys/rotate` (super_admin): `alg` rotates that algorithm's key; absent, every
/// algorithm's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRotation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// `GET /api/providers`: an identity provider people may sign in with, as configured, and
/// how many accounts have an identity there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSummary {
    /// The path segment of `/auth/{name}`.
    pub name: String,
    pub display_name: String,
    /// `openid_connect`, `github`, `facebook` or `apple`.
    pub protocol: String,
    /// The issuer or the provider's site.
    pub location: String,
    /// Switched on by the settings (`GOOGLE_OAUTH_ENABLED`, …) rather than
    /// listed in `OIDC_PROVIDERS`.
    pub preset: bool,
    /// Accounts with an identity at this provider.
    pub users: i64,
}
