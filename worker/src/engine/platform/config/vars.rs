//! Reading one variable: each reader parses one kind of value (flag, count, list, URL,
//! secret, CIDR list) and names the variable in its error.

use url::Url;

use super::{AuditFormat, AuditPush, ElasticsearchSink, SplunkSink, SyslogSink};
use super::{ConfigError, MailProvider, MailSettings, Secret, SmtpServer, VarSource, WebhookKey, WebhookSettings};
use crate::engine::delivery::smtp::SmtpTls;
use crate::engine::platform::net::Cidr;

pub(super) fn err(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

/// `LOG_LEVEL`: `error`, `warn`, `info`, `debug` or `off`, in either case; the Crystal
/// server's other levels read as their nearest (`trace` as `debug`, `notice` as `info`,
/// `fatal` as `error`, `none` as `off`).
pub(super) fn parse_log_level(value: &str) -> Result<log::LevelFilter, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "off" | "none" => Ok(log::LevelFilter::Off),
        "error" | "fatal" => Ok(log::LevelFilter::Error),
        "warn" | "warning" => Ok(log::LevelFilter::Warn),
        "info" | "notice" => Ok(log::LevelFilter::Info),
        "debug" | "trace" => Ok(log::LevelFilter::Debug),
        other => Err(format!("must be `error`, `warn`, `info`, `debug` or `off`, got `{other}`")),
    }
}

pub(super) struct Vars<'a, S: VarSource>(pub(super) &'a S);

impl<S: VarSource> Vars<'_, S> {
    pub(super) fn raw(&self, name: &'static str) -> Result<String, ConfigError> {
        self.0.var(name).ok_or_else(|| err(name, "is not set (add it to [vars] in wrangler.toml, or as a secret)"))
    }

    pub(super) fn text(&self, name: &'static str) -> Result<String, ConfigError> {
        let value = self.raw(name)?;
        let value = value.trim();
        if value.is_empty() {
            return Err(err(name, "must not be empty"));
        }
        Ok(value.to_owned())
    }

    /// Absent or blank: `None`.
    pub(super) fn optional_text(&self, name: &'static str) -> Option<String> {
        self.0.var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// An optional secret: absent or blank is `None`; set, it must be long enough to be a
    /// real secret (client secrets are compared by hash, so their entropy is all they have).
    pub(super) fn optional_secret(&self, name: &'static str) -> Result<Option<Secret>, ConfigError> {
        match self.optional_text(name) {
            None => Ok(None),
            Some(value) if value.chars().count() >= 32 => Ok(Some(Secret(value))),
            Some(_) => Err(err(name, "must be at least 32 characters (use `openssl rand -hex 32`)")),
        }
    }

    /// `ADMIN_EMAIL` and `ADMIN_PASSWORD`, both or neither; the password must meet
    /// `PASSWORD_MIN_LENGTH` like any other.
    pub(super) fn admin_user(&self) -> Result<Option<(String, Secret)>, ConfigError> {
        // The first super_admin is an admin: the larger minimum applies.
        let min = self.positive("PASSWORD_MIN_LENGTH")?.max(self.positive("ADMIN_PASSWORD_MIN_LENGTH")?);
        match (self.optional_text("ADMIN_EMAIL"), self.optional_text("ADMIN_PASSWORD")) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(err("ADMIN_PASSWORD", "must be set when ADMIN_EMAIL is")),
            (None, Some(_)) => Err(err("ADMIN_EMAIL", "must be set when ADMIN_PASSWORD is")),
            (Some(email), Some(_)) if !email.contains('@') || email.starts_with('@') || email.ends_with('@') => {
                Err(err("ADMIN_EMAIL", format!("must be an email address, got `{email}`")))
            }
            (Some(_), Some(password)) if (password.chars().count() as u32) < min => Err(err(
                "ADMIN_PASSWORD",
                format!("must be at least {min} characters (PASSWORD_MIN_LENGTH, ADMIN_PASSWORD_MIN_LENGTH)"),
            )),
            (Some(email), Some(password)) => Ok(Some((email, Secret(password)))),
        }
    }

    /// `EMAIL_PROVIDER` (`log` or `http`) and what `http` needs: `EMAIL_API_URL` (https,
    /// or http on loopback for a local relay) and the `EMAIL_API_KEY` secret.
    pub(super) fn mail(&self) -> Result<MailSettings, ConfigError> {
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
            "smtp" => MailProvider::Smtp(self.smtp()?),
            "cloudflare" => MailProvider::Cloudflare,
            other => {
                return Err(err(
                    "EMAIL_PROVIDER",
                    format!("must be `log`, `http`, `smtp` or `cloudflare`, got `{other}`"),
                ))
            }
        };
        Ok(MailSettings { provider, from_address, from_name })
    }

    /// `EMAIL_PROVIDER=smtp`: `SMTP_HOST`, `SMTP_TLS` (`starttls` by default; `none` only to
    /// a loopback host: a password or a reset link never crosses a network in the clear),
    /// `SMTP_PORT` (587, 465 or 25 by `SMTP_TLS` when unset), `SMTP_USER` and
    /// `SMTP_PASSWORD` together or not at all.
    fn smtp(&self) -> Result<SmtpServer, ConfigError> {
        let host =
            self.optional_text("SMTP_HOST").ok_or_else(|| err("SMTP_HOST", "must be set when EMAIL_PROVIDER=smtp"))?;
        if host.contains(['/', ':', ' ']) && !host.starts_with('[') {
            return Err(err("SMTP_HOST", format!("must be a host name or address, got `{host}`")));
        }
        let tls_text = self.optional_text("SMTP_TLS").unwrap_or_else(|| "starttls".into());
        let tls = SmtpTls::parse(&tls_text)
            .ok_or_else(|| err("SMTP_TLS", format!("must be `starttls`, `tls` or `none`, got `{tls_text}`")))?;
        let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
        if tls == SmtpTls::None && !loopback {
            return Err(err("SMTP_TLS", format!("`none` is only for a server on this machine, not `{host}`")));
        }
        let port = match self.optional_text("SMTP_PORT") {
            None => tls.default_port(),
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| err("SMTP_PORT", format!("must be a port number, got `{text}`")))?,
        };
        let user = self.optional_text("SMTP_USER");
        let password = self.optional_text("SMTP_PASSWORD").map(Secret);
        if user.is_some() != password.is_some() {
            return Err(err("SMTP_USER", "SMTP_USER and SMTP_PASSWORD are set together, or neither"));
        }
        Ok(SmtpServer {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port,
            tls,
            user,
            password,
        })
    }

    /// `NOTIFICATION_WEBHOOK` (comma-separated; each https, or http on loopback), its
    /// `NOTIFICATION_WEBHOOK_SECRET` (Standard Webhooks: `whsec_` and base64, at least 24
    /// bytes) and `NOTIFY_ON_SECRET_ROTATION`; `None` when no URL is set.
    pub(super) fn webhooks(&self) -> Result<Option<WebhookSettings>, ConfigError> {
        let urls = self.list("NOTIFICATION_WEBHOOK", ',')?;
        if urls.is_empty() {
            return Ok(None);
        }
        for url in &urls {
            let parsed =
                Url::parse(url).map_err(|_| err("NOTIFICATION_WEBHOOK", format!("`{url}` is not an absolute URL")))?;
            let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return Err(err("NOTIFICATION_WEBHOOK", format!("`{url}` must use https (http only for localhost)")));
            }
        }
        let secret = self.optional_text("NOTIFICATION_WEBHOOK_SECRET").ok_or_else(|| {
            err("NOTIFICATION_WEBHOOK_SECRET", "must be set (whsec_ and base64) when NOTIFICATION_WEBHOOK is")
        })?;
        use base64::Engine;
        let key = secret
            .strip_prefix("whsec_")
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .filter(|k| k.len() >= 24)
            .ok_or_else(|| {
                err("NOTIFICATION_WEBHOOK_SECRET", "must be `whsec_` and the base64 of at least 24 random bytes")
            })?;
        Ok(Some(WebhookSettings {
            urls,
            key: WebhookKey(key),
            on_secret_rotation: self.flag("NOTIFY_ON_SECRET_ROTATION")?,
        }))
    }

    /// The audit push's sinks (docs/delivery.md, "Audit push"): syslog (`AUDIT_LOG_SYSLOG`,
    /// `SYSLOG_HOST`, `SYSLOG_PORT`, `SYSLOG_TLS`), Splunk's HTTP Event Collector
    /// (`AUDIT_LOG_SPLUNK_URL`, `AUDIT_LOG_SPLUNK_TOKEN`), Elasticsearch
    /// (`AUDIT_LOG_ELASTICSEARCH_URL`, `_INDEX`, `_API_KEY`), and `AUDIT_LOG_FORMAT`.
    pub(super) fn audit_push(&self) -> Result<AuditPush, ConfigError> {
        let format = match self.optional_text("AUDIT_LOG_FORMAT").as_deref().unwrap_or("json") {
            "json" => AuditFormat::Json,
            "cef" => AuditFormat::Cef,
            other => return Err(err("AUDIT_LOG_FORMAT", format!("must be `json` or `cef`, got `{other}`"))),
        };
        let syslog = if self.flag("AUDIT_LOG_SYSLOG")? {
            let host = self
                .optional_text("SYSLOG_HOST")
                .ok_or_else(|| err("SYSLOG_HOST", "must be set when AUDIT_LOG_SYSLOG=true"))?;
            let tls = self.flag("SYSLOG_TLS")?;
            let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
            if !tls && !loopback {
                return Err(err(
                    "SYSLOG_TLS",
                    format!("`false` is only for a syslog server on this machine, not `{host}`"),
                ));
            }
            let port = match self.optional_text("SYSLOG_PORT") {
                None => {
                    if tls {
                        6514
                    } else {
                        514
                    }
                }
                Some(text) => text
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| err("SYSLOG_PORT", format!("must be a port number, got `{text}`")))?,
            };
            Some(SyslogSink { host, port, tls })
        } else {
            None
        };
        let http_url = |name: &'static str| -> Result<Option<String>, ConfigError> {
            let Some(url) = self.optional_text(name) else { return Ok(None) };
            let parsed = Url::parse(&url).map_err(|_| err(name, format!("`{url}` is not an absolute URL")))?;
            let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return Err(err(name, format!("`{url}` must use https (http only for localhost)")));
            }
            Ok(Some(url.trim_end_matches('/').to_owned()))
        };
        let splunk = match http_url("AUDIT_LOG_SPLUNK_URL")? {
            None => None,
            Some(url) => Some(SplunkSink {
                url,
                token: self.optional_text("AUDIT_LOG_SPLUNK_TOKEN").map(Secret).ok_or_else(|| {
                    err("AUDIT_LOG_SPLUNK_TOKEN", "must be set (a secret) when AUDIT_LOG_SPLUNK_URL is")
                })?,
            }),
        };
        let elasticsearch = http_url("AUDIT_LOG_ELASTICSEARCH_URL")?.map(|url| ElasticsearchSink {
            url,
            index: self.optional_text("AUDIT_LOG_ELASTICSEARCH_INDEX").unwrap_or_else(|| "authority-audit".into()),
            api_key: self.optional_text("AUDIT_LOG_ELASTICSEARCH_API_KEY").map(Secret),
        });
        Ok(AuditPush { format, syslog, splunk, elasticsearch })
    }

    pub(super) fn text_or_empty(&self, name: &'static str) -> Result<String, ConfigError> {
        Ok(self.raw(name)?.trim().to_owned())
    }

    pub(super) fn parse<T>(&self, name: &'static str, f: impl Fn(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        f(&self.raw(name)?).map_err(|problem| err(name, problem))
    }

    /// A non-negative whole number.
    pub(super) fn count(&self, name: &'static str) -> Result<u32, ConfigError> {
        let raw = self.raw(name)?;
        raw.trim().parse::<u32>().map_err(|_| err(name, format!("must be a whole number ≥ 0, got `{raw}`")))
    }

    pub(super) fn positive(&self, name: &'static str) -> Result<u32, ConfigError> {
        let raw = self.raw(name)?;
        match raw.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(err(name, format!("must be a whole number > 0, got `{raw}`"))),
        }
    }

    /// A whole number from `low` to `high`: a setting with a sane range (a run-time change
    /// is checked by the same rule, docs/configuration.md), so that no value, set by
    /// mistake or by a stolen admin session, switches a protection off or erases the trail
    /// (audit retention has a floor).
    pub(super) fn within(&self, name: &'static str, low: u32, high: u32) -> Result<u32, ConfigError> {
        let raw = self.raw(name)?;
        match raw.trim().parse::<u32>() {
            Ok(n) if (low..=high).contains(&n) => Ok(n),
            _ => Err(err(name, format!("must be a whole number from {low} to {high}, got `{raw}`"))),
        }
    }

    /// Exactly `true` or `false`: a typo like `ture` must not silently mean false.
    pub(super) fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        let raw = self.raw(name)?;
        match raw.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(err(name, format!("must be `true` or `false`, got `{raw}`"))),
        }
    }

    /// Comma-separated CIDR ranges or addresses (`10.0.0.0/8,192.168.1.0/24`); empty: none.
    pub(super) fn cidr_list(&self, name: &'static str) -> Result<Vec<Cidr>, ConfigError> {
        self.list(name, ',')?.iter().map(|r| Cidr::parse(r).map_err(|problem| err(name, problem))).collect()
    }

    pub(super) fn list(&self, name: &'static str, separator: char) -> Result<Vec<String>, ConfigError> {
        Ok(self.raw(name)?.split(separator).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
    }

    /// Empty means unset; otherwise one line of at most 200 characters (a name or an
    /// address in a footer).
    pub(super) fn optional_line(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let raw = self.raw(name)?;
        let value = raw.trim();
        if value.chars().count() > 200 || value.chars().any(char::is_control) {
            return Err(err(name, "must be one line of at most 200 characters"));
        }
        Ok((!value.is_empty()).then(|| value.to_owned()))
    }

    /// A language this server speaks (docs/i18n.md): its tag.
    pub(super) fn locale(&self, name: &'static str) -> Result<String, ConfigError> {
        let raw = self.raw(name)?;
        shared::i18n::Locale::parse(&raw).map(|l| l.tag().to_owned()).ok_or_else(|| {
            err(name, format!("must be one of {}, got `{}`", shared::i18n::supported_tags().join(", "), raw.trim()))
        })
    }

    /// Empty means unset; otherwise an https URL, or a path on this server (`/images/logo.png`).
    pub(super) fn optional_link(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
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
    pub(super) fn issuer(&self, name: &'static str) -> Result<String, ConfigError> {
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

    pub(super) fn secret_key(&self, name: &'static str) -> Result<Secret, ConfigError> {
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
