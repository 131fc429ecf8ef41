//! Configuration: `[vars]` in wrangler.toml and secrets (`wrangler secret put`, or
//! `.dev.vars` locally), parsed into typed settings.
//!
//! Every variable listed here is required: wrangler.toml carries the seed's defaults, so a
//! missing one means a broken deployment, and it fails the request with the variable's
//! name rather than silently falling back (contract, "Configuration"). Optional settings
//! (logo, legal links) are present but may be empty.

use std::fmt;

use shared::branding::{parse_hex_color, Branding, Theme};
use shared::password::PasswordPolicy;
use url::Url;

use crate::engine::platform::error::ConfigError;

/// Reads one variable; `None` when it is not set at all.
pub trait VarSource {
    fn var(&self, name: &'static str) -> Option<String>;
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
    /// `ISSUER` (the seed's `BASE_URL`): the `iss` of every token and the base of every
    /// advertised endpoint. No trailing slash: OIDC Discovery §4.3 compares it exactly.
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
    /// `CLIENT_SECRET_LIFETIME_DAYS`: how long a new client secret lives; 0 = never.
    pub client_secret_lifetime_days: u32,
    /// `DEFAULT_SCOPES`: granted when a client asks for none.
    pub default_scopes: Vec<String>,
    pub bootstrap: Bootstrap,
}

/// Optional secrets that make the server ensure its first clients (contract, "Bootstrap").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bootstrap {
    /// `ADMIN_CLIENT_ID` + `ADMIN_CLIENT_SECRET`: a confidential service account with
    /// `client_credentials` and the `admin` scope, for scripts (the seed's rotate-secrets.sh).
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
    /// 0 disables refresh tokens (seed: "REFRESH_TOKEN_TTL=0 # Disabled").
    pub refresh_token_ttl: u32,
    pub refresh_token_rotation: bool,
    pub refresh_reuse_grace_seconds: u32,
    pub code_ttl: u32,
    pub device_code_ttl: u32,
    pub password_reset_ttl: u32,
    pub email_verification_ttl: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSettings {
    pub session_duration_days: u32,
    pub idle_timeout_minutes: u32,
    pub single_session: bool,
    /// `REVOKE_TOKENS_ON_SESSION_END`: ending a browser session (sign-out, logout,
    /// SINGLE_SESSION) also revokes the refresh tokens issued in it.
    pub revoke_tokens_on_session_end: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    pub lockout_threshold: u32,
    /// Minutes.
    pub lockout_duration: u32,
    pub password_min_length: u32,
    /// `PASSWORD_MIN_LENGTH` and `REQUIRE_UPPERCASE/LOWERCASE/NUMBERS/SPECIAL`.
    pub password_policy: PasswordPolicy,
    pub require_mfa: bool,
    pub enable_password_grant: bool,
    pub password_grant_allowed_clients: Vec<String>,
    pub allow_plain_pkce: bool,
    pub hide_email_existence: bool,
    pub email_verification_required: bool,
}

/// `(max requests, window seconds)` per route family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub login: (u32, u32),
    pub token: (u32, u32),
    pub password_reset: (u32, u32),
}

/// How mail leaves (contract "Mail"): every message is written to the outbox first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub provider: MailProvider,
    /// `SMTP_FROM` and `SMTP_FROM_NAME` (the seed's names for the sender).
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
}

/// The variables [`Config::load`] reads, for docs and tests.
pub const VARIABLES: &[&str] = &[
    "ISSUER",
    "SECRET_KEY",
    "APP_NAME",
    "APP_TAGLINE",
    "THEME",
    "PRIMARY_COLOR",
    "LOGO_URL",
    "TERMS_URL",
    "PRIVACY_URL",
    "SUPPORT_URL",
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "REFRESH_TOKEN_ROTATION",
    "REFRESH_REUSE_GRACE_SECONDS",
    "CODE_TTL",
    "DEVICE_CODE_TTL",
    "PASSWORD_RESET_TTL",
    "EMAIL_VERIFICATION_TTL",
    "SESSION_DURATION_DAYS",
    "IDLE_TIMEOUT_MINUTES",
    "SINGLE_SESSION",
    "REVOKE_TOKENS_ON_SESSION_END",
    "LOCKOUT_THRESHOLD",
    "LOCKOUT_DURATION",
    "PASSWORD_MIN_LENGTH",
    "REQUIRE_UPPERCASE",
    "REQUIRE_LOWERCASE",
    "REQUIRE_NUMBERS",
    "REQUIRE_SPECIAL",
    "REQUIRE_MFA",
    "ENABLE_PASSWORD_GRANT",
    "PASSWORD_GRANT_ALLOWED_CLIENTS",
    "ALLOW_PLAIN_PKCE",
    "HIDE_EMAIL_EXISTENCE",
    "EMAIL_VERIFICATION_REQUIRED",
    "RATE_LIMIT_LOGIN_MAX",
    "RATE_LIMIT_LOGIN_WINDOW",
    "RATE_LIMIT_TOKEN_MAX",
    "RATE_LIMIT_TOKEN_WINDOW",
    "RATE_LIMIT_PASSWORD_RESET_MAX",
    "RATE_LIMIT_PASSWORD_RESET_WINDOW",
    "DEFAULT_SCOPES",
    "CLIENT_SECRET_LIFETIME_DAYS",
    "EMAIL_PROVIDER",
    "EMAIL_API_URL",
    "SMTP_FROM",
    "SMTP_FROM_NAME",
];

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
            },
            tokens: TokenSettings {
                access_token_ttl: v.positive("ACCESS_TOKEN_TTL")?,
                refresh_token_ttl: v.count("REFRESH_TOKEN_TTL")?,
                refresh_token_rotation: v.flag("REFRESH_TOKEN_ROTATION")?,
                refresh_reuse_grace_seconds: v.count("REFRESH_REUSE_GRACE_SECONDS")?,
                code_ttl: v.positive("CODE_TTL")?,
                device_code_ttl: v.positive("DEVICE_CODE_TTL")?,
                password_reset_ttl: v.positive("PASSWORD_RESET_TTL")?,
                email_verification_ttl: v.positive("EMAIL_VERIFICATION_TTL")?,
            },
            sessions: SessionSettings {
                session_duration_days: v.positive("SESSION_DURATION_DAYS")?,
                idle_timeout_minutes: v.positive("IDLE_TIMEOUT_MINUTES")?,
                single_session: v.flag("SINGLE_SESSION")?,
                revoke_tokens_on_session_end: v.flag("REVOKE_TOKENS_ON_SESSION_END")?,
            },
            security: SecuritySettings {
                lockout_threshold: v.positive("LOCKOUT_THRESHOLD")?,
                lockout_duration: v.positive("LOCKOUT_DURATION")?,
                password_min_length: v.positive("PASSWORD_MIN_LENGTH")?,
                password_policy: PasswordPolicy {
                    min_length: v.positive("PASSWORD_MIN_LENGTH")?,
                    require_uppercase: v.flag("REQUIRE_UPPERCASE")?,
                    require_lowercase: v.flag("REQUIRE_LOWERCASE")?,
                    require_numbers: v.flag("REQUIRE_NUMBERS")?,
                    require_special: v.flag("REQUIRE_SPECIAL")?,
                },
                require_mfa: v.flag("REQUIRE_MFA")?,
                enable_password_grant: v.flag("ENABLE_PASSWORD_GRANT")?,
                password_grant_allowed_clients: v.list("PASSWORD_GRANT_ALLOWED_CLIENTS", ',')?,
                allow_plain_pkce: v.flag("ALLOW_PLAIN_PKCE")?,
                hide_email_existence: v.flag("HIDE_EMAIL_EXISTENCE")?,
                email_verification_required: v.flag("EMAIL_VERIFICATION_REQUIRED")?,
            },
            rate_limits: RateLimits {
                login: (v.positive("RATE_LIMIT_LOGIN_MAX")?, v.positive("RATE_LIMIT_LOGIN_WINDOW")?),
                token: (v.positive("RATE_LIMIT_TOKEN_MAX")?, v.positive("RATE_LIMIT_TOKEN_WINDOW")?),
                password_reset: (
                    v.positive("RATE_LIMIT_PASSWORD_RESET_MAX")?,
                    v.positive("RATE_LIMIT_PASSWORD_RESET_WINDOW")?,
                ),
            },
            mail: v.mail()?,
            client_secret_lifetime_days: v.count("CLIENT_SECRET_LIFETIME_DAYS")?,
            default_scopes: v.list("DEFAULT_SCOPES", ' ')?,
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

fn err(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

struct Vars<'a, S: VarSource>(&'a S);

impl<S: VarSource> Vars<'_, S> {
    fn raw(&self, name: &'static str) -> Result<String, ConfigError> {
        self.0.var(name).ok_or_else(|| err(name, "is not set (add it to [vars] in wrangler.toml, or as a secret)"))
    }

    fn text(&self, name: &'static str) -> Result<String, ConfigError> {
        let value = self.raw(name)?;
        let value = value.trim();
        if value.is_empty() {
            return Err(err(name, "must not be empty"));
        }
        Ok(value.to_owned())
    }

    /// Absent or blank: `None`.
    fn optional_text(&self, name: &'static str) -> Option<String> {
        self.0.var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// An optional secret: absent or blank is `None`; set, it must be long enough to be a
    /// real secret (client secrets are compared by hash, so their entropy is all they have).
    fn optional_secret(&self, name: &'static str) -> Result<Option<Secret>, ConfigError> {
        match self.optional_text(name) {
            None => Ok(None),
            Some(value) if value.chars().count() >= 32 => Ok(Some(Secret(value))),
            Some(_) => Err(err(name, "must be at least 32 characters (use `openssl rand -hex 32`)")),
        }
    }

    /// `ADMIN_EMAIL` and `ADMIN_PASSWORD`, both or neither; the password must meet
    /// `PASSWORD_MIN_LENGTH` like any other.
    fn admin_user(&self) -> Result<Option<(String, Secret)>, ConfigError> {
        let min = self.positive("PASSWORD_MIN_LENGTH")?;
        match (self.optional_text("ADMIN_EMAIL"), self.optional_text("ADMIN_PASSWORD")) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(err("ADMIN_PASSWORD", "must be set when ADMIN_EMAIL is")),
            (None, Some(_)) => Err(err("ADMIN_EMAIL", "must be set when ADMIN_PASSWORD is")),
            (Some(email), Some(_)) if !email.contains('@') || email.starts_with('@') || email.ends_with('@') => {
                Err(err("ADMIN_EMAIL", format!("must be an email address, got `{email}`")))
            }
            (Some(_), Some(password)) if (password.chars().count() as u32) < min => {
                Err(err("ADMIN_PASSWORD", format!("must be at least PASSWORD_MIN_LENGTH ({min}) characters")))
            }
            (Some(email), Some(password)) => Ok(Some((email, Secret(password)))),
        }
    }

    /// `EMAIL_PROVIDER` (`log` or `http`) and what `http` needs: `EMAIL_API_URL` (https,
    /// or http on loopback for a local relay) and the `EMAIL_API_KEY` secret.
    fn mail(&self) -> Result<MailSettings, ConfigError> {
        let from_address = self.text("SMTP_FROM")?;
        if shared::account::email_problem(&from_address).is_some() {
            return Err(err("SMTP_FROM", format!("must be an email address, got `{from_address}`")));
        }
        let from_name = self.text_or_empty("SMTP_FROM_NAME")?;
        if from_name.contains(['"', '<', '>', '\r', '\n']) {
            return Err(err("SMTP_FROM_NAME", "must not contain quotes, angle brackets or line breaks"));
        }
        let provider = match self.text("EMAIL_PROVIDER")?.as_str() {
            "log" => MailProvider::Log,
            "http" => {
                let url = self.text_or_empty("EMAIL_API_URL")?;
                let parsed = Url::parse(&url).map_err(|_| {
                    err("EMAIL_API_URL", format!("must be an absolute URL when EMAIL_PROVIDER=http, got `{url}`"))
                })?;
                let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
                if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                    return Err(err("EMAIL_API_URL", format!("must use https (http only for localhost), got `{url}`")));
                }
                let api_key = self
                    .optional_text("EMAIL_API_KEY")
                    .ok_or_else(|| err("EMAIL_API_KEY", "must be set (a secret) when EMAIL_PROVIDER=http"))?;
                MailProvider::Http { url, api_key: Secret(api_key) }
            }
            other => return Err(err("EMAIL_PROVIDER", format!("must be `log` or `http`, got `{other}`"))),
        };
        Ok(MailSettings { provider, from_address, from_name })
    }

    fn text_or_empty(&self, name: &'static str) -> Result<String, ConfigError> {
        Ok(self.raw(name)?.trim().to_owned())
    }

    fn parse<T>(&self, name: &'static str, f: impl Fn(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        f(&self.raw(name)?).map_err(|problem| err(name, problem))
    }

    /// A non-negative whole number.
    fn count(&self, name: &'static str) -> Result<u32, ConfigError> {
        let raw = self.raw(name)?;
        raw.trim().parse::<u32>().map_err(|_| err(name, format!("must be a whole number ≥ 0, got `{raw}`")))
    }

    fn positive(&self, name: &'static str) -> Result<u32, ConfigError> {
        let raw = self.raw(name)?;
        match raw.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(err(name, format!("must be a whole number > 0, got `{raw}`"))),
        }
    }

    /// Exactly `true` or `false`: a typo like `ture` must not silently mean false.
    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        let raw = self.raw(name)?;
        match raw.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(err(name, format!("must be `true` or `false`, got `{raw}`"))),
        }
    }

    fn list(&self, name: &'static str, separator: char) -> Result<Vec<String>, ConfigError> {
        Ok(self.raw(name)?.split(separator).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
    }

    /// Empty means unset; otherwise an https URL, or a path on this server (`/images/logo.png`).
    fn optional_link(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let raw = self.raw(name)?;
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if value.starts_with('/') && !value.starts_with("//") && !value.contains('\\') {
            return Ok(Some(value.to_owned()));
        }
        match Url::parse(value) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(Some(value.to_owned())),
            _ => Err(err(name, format!("must be an https URL or a path starting with /, got `{value}`"))),
        }
    }

    /// OIDC Discovery §3: the issuer is an https URL with no query or fragment. Plain http is
    /// accepted only for loopback hosts, so `wrangler dev` works.
    fn issuer(&self, name: &'static str) -> Result<String, ConfigError> {
        let raw = self.raw(name)?;
        let value = raw.trim();
        let url = Url::parse(value).map_err(|_| err(name, format!("must be an absolute URL, got `{value}`")))?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(err(name, format!("must use https (http only for localhost), got `{value}`"))),
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(err(name, format!("must not carry a query, fragment or credentials, got `{value}`")));
        }
        if value.ends_with('/') {
            return Err(err(name, format!("must not end with `/` (tokens carry it verbatim as `iss`), got `{value}`")));
        }
        Ok(value.to_owned())
    }

    fn secret_key(&self, name: &'static str) -> Result<Secret, ConfigError> {
        // Never echo the value: it is a secret.
        let value = self.0.var(name).ok_or_else(|| {
            err(name, "is not set (a secret: `wrangler secret put SECRET_KEY`, or .dev.vars locally)")
        })?;
        if value.trim().chars().count() < 32 {
            return Err(err(name, "must be at least 32 characters (use `openssl rand -hex 32`)"));
        }
        Ok(Secret(value.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::engine::test_support::dev_vars;

    fn load_with(change: impl FnOnce(&mut HashMap<&'static str, String>)) -> Result<Config, ConfigError> {
        let mut vars = dev_vars();
        change(&mut vars);
        Config::load(&|name: &'static str| vars.get(name).cloned())
    }

    #[test]
    fn the_origin_csrf_checks_compare_is_the_issuers_without_its_path() {
        let config = load_with(|v| {
            v.insert("ISSUER", "https://id.example.com/auth".into());
        })
        .unwrap();
        assert_eq!(config.origin(), "https://id.example.com");
        assert_eq!(load_with(|_| {}).unwrap().origin(), "http://127.0.0.1:8787");
    }

    #[test]
    fn wrangler_toml_defines_every_variable_and_they_parse() {
        let vars = dev_vars();
        for name in VARIABLES {
            assert!(vars.contains_key(name), "{name} is missing from [vars] in wrangler.toml");
        }
        let config = load_with(|_| {}).unwrap();
        assert_eq!(config.issuer, "http://127.0.0.1:8787");
        assert_eq!(config.tokens.access_token_ttl, 3600);
        assert_eq!(config.tokens.code_ttl, 600);
        assert_eq!(config.tokens.device_code_ttl, 300);
        assert_eq!(config.branding.theme, Theme::Dark);
        assert_eq!(config.branding.primary_color, "#7c3aed");
    }

    #[test]
    fn email_provider_http_needs_an_https_api_url_and_a_key() {
        let http = |url: &str, key: Option<&str>| {
            load_with(|v| {
                v.insert("EMAIL_PROVIDER", "http".into());
                v.insert("EMAIL_API_URL", url.into());
                if let Some(key) = key {
                    v.insert("EMAIL_API_KEY", key.into());
                }
            })
        };
        assert_eq!(load_with(|_| {}).unwrap().mail.provider, MailProvider::Log, "the shipped default");
        let ok = http("https://api.resend.com/emails", Some("re_123")).unwrap();
        assert!(
            matches!(ok.mail.provider, MailProvider::Http { ref url, .. } if url == "https://api.resend.com/emails")
        );
        assert!(http("http://127.0.0.1:9000/emails", Some("k")).is_ok(), "a local relay");
        assert_eq!(http("http://mail.example.com/emails", Some("k")).unwrap_err().variable, "EMAIL_API_URL");
        assert_eq!(http("", Some("k")).unwrap_err().variable, "EMAIL_API_URL");
        assert_eq!(http("https://api.resend.com/emails", None).unwrap_err().variable, "EMAIL_API_KEY");
        let smtp = load_with(|v| {
            v.insert("EMAIL_PROVIDER", "smtp".into());
        });
        assert_eq!(smtp.unwrap_err().variable, "EMAIL_PROVIDER");
        let from = load_with(|v| {
            v.insert("SMTP_FROM", "not an address".into());
        });
        assert_eq!(from.unwrap_err().variable, "SMTP_FROM");
    }

    #[test]
    fn the_password_policy_comes_from_the_seeds_variables() {
        let config = load_with(|v| {
            v.insert("PASSWORD_MIN_LENGTH", "16".into());
            v.insert("REQUIRE_NUMBERS", "true".into());
        })
        .unwrap();
        let policy = &config.security.password_policy;
        assert_eq!((policy.min_length, policy.require_numbers, policy.require_uppercase), (16, true, false));
        assert_eq!(
            load_with(|v| {
                v.insert("REQUIRE_SPECIAL", "yes".into());
            })
            .unwrap_err()
            .variable,
            "REQUIRE_SPECIAL"
        );
    }

    #[test]
    fn a_missing_variable_is_named() {
        let e = load_with(|v| {
            v.remove("CODE_TTL");
        })
        .unwrap_err();
        assert_eq!(e.variable, "CODE_TTL");
        assert!(e.to_string().contains("CODE_TTL is not set"), "{e}");
    }

    #[test]
    fn malformed_numbers_and_flags_are_refused_not_defaulted() {
        for (name, bad) in [
            ("ACCESS_TOKEN_TTL", "abc"),
            ("ACCESS_TOKEN_TTL", "0"),
            ("ACCESS_TOKEN_TTL", "-5"),
            ("REFRESH_TOKEN_ROTATION", "ture"),
            ("REFRESH_TOKEN_ROTATION", "1"),
            ("THEME", "blue"),
            ("PRIMARY_COLOR", "purple"),
            ("LOGO_URL", "javascript:alert(1)"),
            ("LOGO_URL", "//evil.example/logo.png"),
            ("APP_NAME", "   "),
        ] {
            let e = load_with(|v| {
                v.insert(name, bad.into());
            })
            .unwrap_err();
            assert_eq!(e.variable, name, "{name}={bad} gave {e}");
        }
    }

    #[test]
    fn refresh_token_ttl_zero_disables_refresh_tokens() {
        let config = load_with(|v| {
            v.insert("REFRESH_TOKEN_TTL", "0".into());
        })
        .unwrap();
        assert_eq!(config.tokens.refresh_token_ttl, 0);
    }

    #[test]
    fn issuer_must_be_https_except_on_loopback_and_exactly_comparable() {
        for good in
            ["https://auth.example.com", "https://example.com/tenant", "http://localhost:8787", "http://127.0.0.1:8787"]
        {
            assert_eq!(
                load_with(|v| {
                    v.insert("ISSUER", good.into());
                })
                .unwrap()
                .issuer,
                good
            );
        }
        for bad in [
            "http://auth.example.com",
            "https://auth.example.com/",
            "https://auth.example.com?x=1",
            "auth.example.com",
            "https://u:p@auth.example.com",
            "",
        ] {
            let e = load_with(|v| {
                v.insert("ISSUER", bad.into());
            })
            .unwrap_err();
            assert_eq!(e.variable, "ISSUER", "{bad}");
        }
    }

    #[test]
    fn secret_key_must_be_long_and_is_never_echoed() {
        let e = load_with(|v| {
            v.insert("SECRET_KEY", "short-secret".into());
        })
        .unwrap_err();
        assert_eq!(e.variable, "SECRET_KEY");
        assert!(!e.to_string().contains("short-secret"));
        let e = load_with(|v| {
            v.remove("SECRET_KEY");
        })
        .unwrap_err();
        assert_eq!(e.variable, "SECRET_KEY");
        let config = load_with(|_| {}).unwrap();
        assert_eq!(format!("{:?}", config.secret_key), "Secret(..)");
    }

    #[test]
    fn bootstrap_secrets_are_optional_but_come_in_pairs_and_must_be_strong() {
        let config = load_with(|_| {}).unwrap();
        assert_eq!(config.bootstrap, Bootstrap::default());
        let long = "0123456789abcdef0123456789abcdef";
        let config = load_with(|v| {
            v.insert("ADMIN_CLIENT_ID", "admin-cli".into());
            v.insert("ADMIN_CLIENT_SECRET", long.into());
            v.insert("DEMO_CLIENT_SECRET", long.into());
        })
        .unwrap();
        assert_eq!(config.bootstrap.admin_client.map(|(id, _)| id).as_deref(), Some("admin-cli"));
        assert!(config.bootstrap.demo_client_secret.is_some());
        let e = load_with(|v| {
            v.insert("ADMIN_CLIENT_ID", "admin-cli".into());
        })
        .unwrap_err();
        assert_eq!(e.variable, "ADMIN_CLIENT_SECRET");
        let e = load_with(|v| {
            v.insert("ADMIN_CLIENT_SECRET", long.into());
        })
        .unwrap_err();
        assert_eq!(e.variable, "ADMIN_CLIENT_ID");
        let e = load_with(|v| {
            v.insert("ADMIN_CLIENT_ID", "admin-cli".into());
            v.insert("ADMIN_CLIENT_SECRET", "short".into());
        })
        .unwrap_err();
        assert_eq!(e.variable, "ADMIN_CLIENT_SECRET");
        assert!(!e.to_string().contains("short"));
    }

    #[test]
    fn admin_user_needs_both_values_a_real_email_and_a_policy_password() {
        let ok = load_with(|v| {
            v.insert("ADMIN_EMAIL", "admin@example.com".into());
            v.insert("ADMIN_PASSWORD", "long-enough-password".into());
        })
        .unwrap();
        assert_eq!(ok.bootstrap.admin_user.map(|(e, _)| e).as_deref(), Some("admin@example.com"));
        for (email, password, variable) in [
            (Some("admin@example.com"), None, "ADMIN_PASSWORD"),
            (None, Some("long-enough-password"), "ADMIN_EMAIL"),
            (Some("admin"), Some("long-enough-password"), "ADMIN_EMAIL"),
            (Some("admin@example.com"), Some("short"), "ADMIN_PASSWORD"),
        ] {
            let e = load_with(|v| {
                if let Some(email) = email {
                    v.insert("ADMIN_EMAIL", email.into());
                }
                if let Some(password) = password {
                    v.insert("ADMIN_PASSWORD", password.into());
                }
            })
            .unwrap_err();
            assert_eq!(e.variable, variable);
            assert!(!e.to_string().contains("long-enough-password"));
        }
    }

    #[test]
    fn lists_split_and_trim() {
        let config = load_with(|v| {
            v.insert("PASSWORD_GRANT_ALLOWED_CLIENTS", " trusted-app-1, trusted-app-2 ,".into());
            v.insert("DEFAULT_SCOPES", "openid  profile email".into());
        })
        .unwrap();
        assert_eq!(config.security.password_grant_allowed_clients, vec!["trusted-app-1", "trusted-app-2"]);
        assert_eq!(config.default_scopes, vec!["openid", "profile", "email"]);
    }
}
