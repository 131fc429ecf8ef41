//! Configuration: `[vars]` in wrangler.toml and secrets (`wrangler secret put`, or
//! `.dev.vars` locally), parsed into typed settings.
//!
//! Every variable listed here is required: wrangler.toml carries every default (docs/configuration.md), so a
//! missing one means a broken deployment, and it fails the request with the variable's
//! name rather than silently falling back (docs/configuration.md). Optional settings
//! (logo, legal links) are present but may be empty.

use std::fmt;

use shared::branding::{parse_hex_color, Branding, Theme};
use shared::password::PasswordPolicy;

use crate::engine::platform::error::ConfigError;
use crate::engine::platform::net::Cidr;
use crate::engine::platform::ports::SigningAlg;

mod names;
mod outbound;
pub mod providers;
pub mod unread;
mod vars;

pub use names::{OLD_NAMES, OPTIONAL_VARIABLES, RUNTIME_SETTINGS, SECRETS, VARIABLES};
pub use outbound::{
    AuditFormat, AuditPush, ElasticsearchSink, MailProvider, MailSettings, SmtpServer, SplunkSink, SyslogSink,
    WebhookKey, WebhookSettings,
};
use vars::{err, parse_log_level, Vars};

/// `(client_id, its token limit)` of the clients with their own (docs/api.md, "Client rate limits").
pub type ClientRateLimits = Vec<(String, shared::clients::RateLimit)>;

/// Reads one variable; `None` when it is not set at all.
pub trait VarSource {
    fn var(&self, name: &'static str) -> Option<String>;

    /// The names of every variable set (vars and secrets, not bindings), where the source
    /// can list them: unknown names are reported (`unread::unknown`).
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

impl<F: Fn(&'static str) -> Option<String>> VarSource for F {
    fn var(&self, name: &'static str) -> Option<String> {
        self(name)
    }
}

/// A secret value; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `SECRET_KEY` as the deployment sets it (run-time secrets are sealed under it before
    /// the configuration that checks it loads); `None` when unset.
    pub fn secret_key_of(vars: &impl VarSource) -> Option<Secret> {
        vars.var("SECRET_KEY").map(|v| Secret(v.trim().to_owned()))
    }

    /// A fixed secret for tests; real ones only come from [`Config::load`].
    #[cfg(test)]
    pub(crate) fn for_tests(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `ISSUER` (`BASE_URL` in the Crystal server; docs/configuration.md): the `iss` of every
    /// token and the base of every advertised endpoint. No trailing slash: OIDC Discovery §4.3 compares it exactly.
    pub issuer: String,
    /// `SECRET_KEY`: root of the keys that seal data at rest (signing keys). At least 32
    /// characters; `openssl rand -hex 32` gives 64.
    pub secret_key: Secret,
    pub branding: Branding,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub security: SecuritySettings,
    pub rate_limits: RateLimits,
    pub mail: MailSettings,
    pub retention: Retention,
    /// `CLIENT_SECRET_LIFETIME_DAYS`: how long a new client secret lives; 0 = never.
    pub client_secret_lifetime_days: u32,
    /// `DEFAULT_SCOPES`: granted when a client asks for none.
    pub default_scopes: Vec<String>,
    pub open_registration: OpenRegistration,
    pub metadata_documents: MetadataDocuments,
    pub bootstrap: Bootstrap,
    /// `METRICS_TOKEN` (secret, optional): a Bearer token that may read `/metrics` only,
    /// for a Prometheus scraper that should not hold an admin token.
    pub metrics_token: Option<Secret>,
    /// The identity providers to sign in with (`config::providers`).
    pub providers: Vec<providers::ProviderConfig>,
    /// `SOCIAL_STORE_PROVIDER_TOKENS`: keep the provider's access and refresh tokens,
    /// sealed, beside the linked identity (off: nothing of them is kept).
    pub store_provider_tokens: bool,
    /// `SERVER_TIMING`: each answer says its D1 and KV calls and their sequential depth
    /// (a `Server-Timing` header); for local development and benchmarks.
    pub server_timing: bool,
    /// `STORAGE_DELAY_MS`: benchmarks only — every D1 and KV call waits this long first, as
    /// from a Worker far from its data; 0 in any real deployment.
    pub storage_delay_ms: u32,
    /// Each client's own token rate limit (docs/api.md, "Client rate limits"): not a
    /// variable, read from D1 with the run-time settings by the edge; empty from [`Config::load`].
    pub client_rate_limits: ClientRateLimits,
    /// `LOG_LEVEL` (`CRYSTAL_LOG_LEVEL`): what the worker writes to its log
    /// (docs/operations.md, "Reading the logs").
    pub log_level: log::LevelFilter,
    /// Settings set here that this server does not read (docs/configuration.md,
    /// "Settings this server does not read")
    /// ([`unread::UNREAD`]): reported, never silently ignored.
    pub unread: Vec<unread::UnreadSetting>,
    /// Signed webhooks of security events (`NOTIFICATION_WEBHOOK`); `None`: none sent.
    pub webhooks: Option<WebhookSettings>,
    /// The audit log's sinks.
    pub audit_push: AuditPush,
}

/// Registration without an initial access token (RFC 7591 §3; docs/api.md, "Open
/// registration"): off unless the operator turns it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRegistration {
    /// `ALLOW_OPEN_REGISTRATION`.
    pub allowed: bool,
    /// `OPEN_REGISTRATION_SCOPES`: what a self-registered client may ask for (never
    /// `admin` or `introspection`).
    pub scopes: Vec<String>,
    /// `OPEN_REGISTRATION_UNUSED_DAYS`: a self-registered client without a code exchange
    /// for this long and without a live refresh token is deleted by the cleanup.
    pub unused_days: u32,
    /// `RATE_LIMIT_REGISTER_MAX` / `_WINDOW`: open registrations per address.
    pub rate_limit: (u32, u32),
}

/// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; docs/api.md,
/// "Client ID Metadata Documents"): a `client_id` that is an https URL names its own
/// metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataDocuments {
    /// `CLIENT_ID_METADATA_DOCUMENTS`.
    pub enabled: bool,
    /// `CIMD_ALLOWED_HOSTS`: host patterns (`example.com`, `*.example.com`) a document may
    /// be on; empty: any public host.
    pub allowed_hosts: Vec<String>,
    /// `CIMD_DENIED_HOSTS`: host patterns no document is read from (before the allowed).
    pub denied_hosts: Vec<String>,
}

/// Optional secrets that make the server ensure its first clients (docs/api.md, "Bootstrap").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bootstrap {
    /// `ADMIN_CLIENT_ID` + `ADMIN_CLIENT_SECRET`: a confidential service account with
    /// `client_credentials` and the `admin` scope, for scripts (docs/configuration.md, "Rotating `ADMIN_CLIENT_SECRET`").
    pub admin_client: Option<(String, Secret)>,
    /// `DEMO_CLIENT_SECRET`: the dev fixture client `demo-app` (set only in .dev.vars).
    pub demo_client_secret: Option<Secret>,
    /// `ADMIN_EMAIL` + `ADMIN_PASSWORD`: the first super_admin, created while none exists.
    pub admin_user: Option<(String, Secret)>,
}

/// Lifetimes in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub access_token_ttl: u32,
    /// 0 disables refresh tokens (docs/configuration.md).
    pub refresh_token_ttl: u32,
    /// `REFRESH_TOKEN_MAX_LIFETIME`: a family's absolute lifetime from its first token,
    /// however often it rotates (RFC 9700 §4.14.2); 0 = no cap.
    pub refresh_token_max_lifetime: u32,
    pub refresh_token_rotation: bool,
    pub refresh_reuse_grace_seconds: u32,
    pub code_ttl: u32,
    pub device_code_ttl: u32,
    pub password_reset_ttl: u32,
    pub email_verification_ttl: u32,
    /// `SIGNING_ALG`: the algorithm access tokens (and signed metadata) are signed with;
    /// ID tokens use the client's `id_token_signed_response_alg`, RS256 by default.
    pub signing_alg: SigningAlg,
    /// `KEY_ROTATION_DAYS`: the Cron Trigger rotates every signing key this old; 0 = never.
    pub key_rotation_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    pub session_duration_days: u32,
    pub idle_timeout_minutes: u32,
    pub single_session: bool,
    /// `REVOKE_TOKENS_ON_SESSION_END`: ending a browser session (sign-out, logout,
    /// SINGLE_SESSION) also revokes the refresh tokens issued in it.
    pub revoke_tokens_on_session_end: bool,
    /// `REAUTHENTICATION_MAX_AGE`: how recent a sign-in must be, seconds, for a change to
    /// how one signs in (`identity::accounts::reauth`).
    pub reauthentication_max_age: u32,
    /// `NOTIFY_NEW_SESSION`: a sign-in from a browser the account has not used in 90
    /// days mails the person (the `new-login` template).
    pub notify_new_session: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    pub lockout_threshold: u32,
    /// Minutes.
    pub lockout_duration: u32,
    /// `PROGRESSIVE_LOCKOUT`: each lockout of an account doubles the last (from
    /// `LOCKOUT_DURATION`, at most 8 times it) until a sign-in succeeds.
    pub progressive_lockout: bool,
    /// `ENABLE_AUTO_UNLOCK`: a lockout ends by itself; when false only an admin's unlock
    /// or a password reset ends it.
    pub auto_unlock: bool,
    /// `LOCKOUT_BY_IP` and `IP_LOCKOUT_THRESHOLD`: wrong passwords from one address, over
    /// any accounts, that refuse its password sign-ins for `LOCKOUT_DURATION`.
    pub lockout_by_ip: bool,
    pub ip_lockout_threshold: u32,
    /// `LOCKOUT_WHITELIST`: addresses never locked out, and whose failures count nowhere.
    pub lockout_whitelist: Vec<Cidr>,
    pub password_min_length: u32,
    /// `PASSWORD_HISTORY_COUNT`: the last N passwords (the current one among them) may not
    /// be set again; 0 turns the check off.
    pub password_history_count: u32,
    /// `PASSWORD_EXPIRY_DAYS` (0: off), `ADMIN_PASSWORD_EXPIRY_DAYS` (admins; 0: as
    /// everyone), `PASSWORD_EXPIRY_WARNING_DAYS`, `PASSWORD_EXPIRY_GRACE_DAYS`
    /// (`identity::password_expiry`).
    pub password_expiry_days: u32,
    pub admin_password_expiry_days: u32,
    pub password_expiry_warning_days: u32,
    pub password_expiry_grace_days: u32,
    /// `CHECK_COMMON_PASSWORDS`: the 10,000 most common passwords are refused.
    pub check_common_passwords: bool,
    /// `PASSWORD_MIN_LENGTH` and `REQUIRE_UPPERCASE/LOWERCASE/NUMBERS/SPECIAL`.
    pub password_policy: PasswordPolicy,
    /// `REQUIRE_MFA`: everyone signs in with a second factor (and enrols one first).
    pub require_mfa: bool,
    /// `REQUIRE_ADMIN_MFA`: admins and super_admins do.
    pub require_admin_mfa: bool,
    /// `MFA_GRACE_PERIOD_DAYS`: how long after first being asked a person may still sign
    /// in without enrolling; 0 forces enrolment at once.
    pub mfa_grace_period_days: u32,
    pub enable_password_grant: bool,
    pub password_grant_allowed_clients: Vec<String>,
    pub allow_plain_pkce: bool,
    /// `REQUIRE_PKCE`: PKCE for confidential clients too (always for public ones).
    pub require_pkce: bool,
    /// `ALLOW_IMPLICIT`: response types that return access tokens (or an ID token without
    /// a code) from `/authorize`.
    pub allow_implicit: bool,
    pub hide_email_existence: bool,
    /// `ADMIN_ALLOWED_IPS`: the addresses and ranges (IPv4, IPv6) admin calls are accepted
    /// from; empty: any (docs/security.md, "The admin API").
    pub admin_allowed_ips: Vec<Cidr>,
    pub email_verification_required: bool,
    /// `DPOP_NONCES`: DPoP proofs must carry a nonce of this server (RFC 9449 §8).
    pub dpop_nonces: bool,
    /// `REQUIRE_PUSHED_AUTHORIZATION_REQUESTS`: `/authorize` serves only pushed requests
    /// (RFC 9126 §5), for every client.
    pub require_par: bool,
}

/// How long the scheduled cleanup keeps records that do not expire by themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// `OUTBOX_RETENTION_DAYS`.
    pub outbox_days: u32,
    /// `AUDIT_LOG_RETENTION_DAYS` (docs/configuration.md).
    pub audit_days: u32,
}

/// `(max requests, window seconds)` per route family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub login: (u32, u32),
    pub token: (u32, u32),
    pub password_reset: (u32, u32),
    /// `RATE_LIMIT_BY`: what the token family's limit counts.
    pub by: RateLimitBy,
    /// `RATE_LIMIT_WHITELIST`: addresses no limit applies to.
    pub whitelist: Vec<Cidr>,
}

/// `RATE_LIMIT_BY` (its three values, docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitBy {
    /// Per client address (`CF-Connecting-IP`).
    Ip,
    /// Per client id (the address when a request names no client).
    Client,
    /// Per user signing in (password grant), else per client, else per address.
    User,
}

/// The vars with run-time overrides on top; only [`RUNTIME_SETTINGS`] are overridden,
/// whatever the table holds.
pub struct Overlay<'a, S: VarSource> {
    pub vars: &'a S,
    pub overrides: &'a [(String, String)],
}

impl<S: VarSource> VarSource for Overlay<'_, S> {
    /// A run-time change, else the setting's old name ([`OLD_NAMES`]) when the deployment
    /// sets it, else the variable.
    fn var(&self, name: &'static str) -> Option<String> {
        let overridden = RUNTIME_SETTINGS.contains(&name).then(|| self.overrides.iter().find(|(n, _)| n == name));
        if let Some((_, value)) = overridden.flatten() {
            return Some(value.clone());
        }
        let old = OLD_NAMES.iter().find(|(_, new)| *new == name).and_then(|(old, _)| self.vars.var(old));
        old.filter(|v| !v.trim().is_empty()).or_else(|| self.vars.var(name))
    }

    fn names(&self) -> Vec<String> {
        self.vars.names()
    }
}

impl Config {
    pub fn load(source: &impl VarSource) -> Result<Config, ConfigError> {
        let v = Vars(source);
        Ok(Config {
            issuer: v.issuer("ISSUER")?,
            secret_key: v.secret_key("SECRET_KEY")?,
            branding: Branding {
                app_name: v.text("APP_NAME")?,
                app_tagline: v.text_or_empty("APP_TAGLINE")?,
                theme: v.parse("THEME", Theme::parse)?,
                primary_color: v.parse("PRIMARY_COLOR", parse_hex_color)?,
                logo_url: v.optional_link("LOGO_URL")?,
                terms_url: v.optional_link("TERMS_URL")?,
                privacy_url: v.optional_link("PRIVACY_URL")?,
                support_url: v.optional_link("SUPPORT_URL")?,
                company_name: v.optional_line("COMPANY_NAME")?,
                company_address: v.optional_line("COMPANY_ADDRESS")?,
                favicon_url: v.optional_link("FAVICON_URL")?,
                default_locale: v.locale("DEFAULT_LOCALE")?,
            },
            tokens: TokenSettings {
                access_token_ttl: v.within("ACCESS_TOKEN_TTL", 1, 86_400)?,
                refresh_token_ttl: v.within("REFRESH_TOKEN_TTL", 0, shared::clients::REFRESH_TTL_MAX)?,
                refresh_token_max_lifetime: v.count("REFRESH_TOKEN_MAX_LIFETIME")?,
                refresh_token_rotation: v.flag("REFRESH_TOKEN_ROTATION")?,
                refresh_reuse_grace_seconds: v.count("REFRESH_REUSE_GRACE_SECONDS")?,
                code_ttl: v.within("CODE_TTL", 1, 600)?,
                device_code_ttl: v.within("DEVICE_CODE_TTL", 1, 1_800)?,
                password_reset_ttl: v.within("PASSWORD_RESET_TTL", 60, 86_400)?,
                email_verification_ttl: v.within("EMAIL_VERIFICATION_TTL", 60, 604_800)?,
                signing_alg: v.parse("SIGNING_ALG", |value| {
                    SigningAlg::parse(value).ok_or_else(|| "must be RS256, ES256 or EdDSA".to_owned())
                })?,
                key_rotation_days: v.count("KEY_ROTATION_DAYS")?,
            },
            sessions: SessionSettings {
                session_duration_days: v.within("SESSION_DURATION_DAYS", 1, 365)?,
                idle_timeout_minutes: v.within("IDLE_TIMEOUT_MINUTES", 1, 525_600)?,
                reauthentication_max_age: v.within("REAUTHENTICATION_MAX_AGE", 1, 86_400)?,
                single_session: v.flag("SINGLE_SESSION")?,
                revoke_tokens_on_session_end: v.flag("REVOKE_TOKENS_ON_SESSION_END")?,
                notify_new_session: v.flag("NOTIFY_NEW_SESSION")?,
            },
            log_level: v.parse("LOG_LEVEL", parse_log_level)?,
            client_rate_limits: Vec::new(),
            security: SecuritySettings {
                lockout_threshold: v.within("LOCKOUT_THRESHOLD", 1, 100)?,
                lockout_duration: v.within("LOCKOUT_DURATION", 1, 525_600)?,
                progressive_lockout: v.flag("PROGRESSIVE_LOCKOUT")?,
                auto_unlock: v.flag("ENABLE_AUTO_UNLOCK")?,
                lockout_by_ip: v.flag("LOCKOUT_BY_IP")?,
                ip_lockout_threshold: v.positive("IP_LOCKOUT_THRESHOLD")?,
                lockout_whitelist: v.cidr_list("LOCKOUT_WHITELIST")?,
                password_min_length: v.positive("PASSWORD_MIN_LENGTH")?,
                password_history_count: v.count("PASSWORD_HISTORY_COUNT")?,
                check_common_passwords: v.flag("CHECK_COMMON_PASSWORDS")?,
                password_expiry_days: v.count("PASSWORD_EXPIRY_DAYS")?,
                admin_password_expiry_days: v.count("ADMIN_PASSWORD_EXPIRY_DAYS")?,
                password_expiry_warning_days: v.count("PASSWORD_EXPIRY_WARNING_DAYS")?,
                password_expiry_grace_days: v.count("PASSWORD_EXPIRY_GRACE_DAYS")?,
                password_policy: PasswordPolicy {
                    min_length: v.positive("PASSWORD_MIN_LENGTH")?,
                    require_uppercase: v.flag("REQUIRE_UPPERCASE")?,
                    require_lowercase: v.flag("REQUIRE_LOWERCASE")?,
                    require_numbers: v.flag("REQUIRE_NUMBERS")?,
                    require_special: v.flag("REQUIRE_SPECIAL")?,
                    admin_min_length: v.positive("ADMIN_PASSWORD_MIN_LENGTH")?,
                },
                require_mfa: v.flag("REQUIRE_MFA")?,
                require_admin_mfa: v.flag("REQUIRE_ADMIN_MFA")?,
                mfa_grace_period_days: v.count("MFA_GRACE_PERIOD_DAYS")?,
                enable_password_grant: v.flag("ENABLE_PASSWORD_GRANT")?,
                password_grant_allowed_clients: v.list("PASSWORD_GRANT_ALLOWED_CLIENTS", ',')?,
                allow_plain_pkce: v.flag("ALLOW_PLAIN_PKCE")?,
                require_pkce: v.flag("REQUIRE_PKCE")?,
                allow_implicit: v.flag("ALLOW_IMPLICIT")?,
                hide_email_existence: v.flag("HIDE_EMAIL_EXISTENCE")?,
                admin_allowed_ips: v.cidr_list("ADMIN_ALLOWED_IPS")?,
                email_verification_required: v.flag("EMAIL_VERIFICATION_REQUIRED")?,
                dpop_nonces: v.flag("DPOP_NONCES")?,
                require_par: v.flag("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS")?,
            },
            rate_limits: RateLimits {
                login: (
                    v.within("RATE_LIMIT_LOGIN_MAX", 1, 1_000_000)?,
                    v.within("RATE_LIMIT_LOGIN_WINDOW", 1, 86_400)?,
                ),
                token: (
                    v.within("RATE_LIMIT_TOKEN_MAX", 1, 1_000_000)?,
                    v.within("RATE_LIMIT_TOKEN_WINDOW", 1, 86_400)?,
                ),
                password_reset: (
                    v.within("RATE_LIMIT_PASSWORD_RESET_MAX", 1, 1_000_000)?,
                    v.within("RATE_LIMIT_PASSWORD_RESET_WINDOW", 1, 86_400)?,
                ),
                by: v.parse("RATE_LIMIT_BY", |value| match value.trim() {
                    "ip" => Ok(RateLimitBy::Ip),
                    "client" => Ok(RateLimitBy::Client),
                    "user" => Ok(RateLimitBy::User),
                    other => Err(format!("must be `ip`, `client` or `user`, got `{other}`")),
                })?,
                whitelist: v.cidr_list("RATE_LIMIT_WHITELIST")?,
            },
            mail: v.mail()?,
            retention: Retention {
                outbox_days: v.within("OUTBOX_RETENTION_DAYS", 1, 3_650)?,
                audit_days: v.within("AUDIT_LOG_RETENTION_DAYS", 30, 36_500)?,
            },
            client_secret_lifetime_days: v.count("CLIENT_SECRET_LIFETIME_DAYS")?,
            default_scopes: v.list("DEFAULT_SCOPES", ' ')?,
            open_registration: OpenRegistration {
                allowed: v.flag("ALLOW_OPEN_REGISTRATION")?,
                scopes: {
                    let scopes = v.list("OPEN_REGISTRATION_SCOPES", ' ')?;
                    // What no one may grant themselves: the admin API, other clients' tokens.
                    if let Some(s) = scopes.iter().find(|s| matches!(s.as_str(), "admin" | "introspection")) {
                        return Err(err("OPEN_REGISTRATION_SCOPES", format!("must not include `{s}`")));
                    }
                    scopes
                },
                unused_days: v.within("OPEN_REGISTRATION_UNUSED_DAYS", 1, 3_650)?,
                rate_limit: (
                    v.within("RATE_LIMIT_REGISTER_MAX", 1, 1_000_000)?,
                    v.within("RATE_LIMIT_REGISTER_WINDOW", 1, 86_400)?,
                ),
            },
            metadata_documents: MetadataDocuments {
                enabled: v.flag("CLIENT_ID_METADATA_DOCUMENTS")?,
                allowed_hosts: v.list("CIMD_ALLOWED_HOSTS", ',')?,
                denied_hosts: v.list("CIMD_DENIED_HOSTS", ',')?,
            },
            bootstrap: Bootstrap {
                admin_client: match (v.optional_text("ADMIN_CLIENT_ID"), v.optional_secret("ADMIN_CLIENT_SECRET")?) {
                    (Some(id), Some(secret)) => Some((id, secret)),
                    (None, None) => None,
                    (Some(_), None) => return Err(err("ADMIN_CLIENT_SECRET", "must be set when ADMIN_CLIENT_ID is")),
                    (None, Some(_)) => return Err(err("ADMIN_CLIENT_ID", "must be set when ADMIN_CLIENT_SECRET is")),
                },
                demo_client_secret: v.optional_secret("DEMO_CLIENT_SECRET")?,
                admin_user: v.admin_user()?,
            },
            metrics_token: v.optional_secret("METRICS_TOKEN")?,
            providers: providers::load(&v)?,
            store_provider_tokens: v.flag("SOCIAL_STORE_PROVIDER_TOKENS")?,
            server_timing: v.flag("SERVER_TIMING")?,
            storage_delay_ms: v.count("STORAGE_DELAY_MS")?,
            webhooks: v.webhooks()?,
            audit_push: v.audit_push()?,
            unread: {
                let mut unread = unread::set_but_unread(|name| source.var(name).is_some_and(|v| !v.trim().is_empty()));
                unread.extend(unread::unknown(&source.names()));
                unread
            },
        })
    }

    /// An absolute URL under the issuer, e.g. `endpoint("/.well-known/jwks.json")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// The issuer's origin (scheme, host, port), as browsers send it in `Origin`.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.issuer).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| self.issuer.clone())
    }

    /// Whether the server is reached over https (HSTS is sent only then).
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

#[cfg(test)]
mod tests;
