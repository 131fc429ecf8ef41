//! Mail (docs/api.md, "Mail"): every message is written to the `mail_outbox` table first
//! and then delivered by the provider `EMAIL_PROVIDER` names: `log` keeps it there (read at
//! `/admin/outbox` and `GET /api/outbox`), `http` POSTs it to a mail API, `smtp` submits
//! it to a mail server; the last two through `engine::delivery` (the Queue, retries, dead
//! letters). A provider failure never fails the request that caused the mail: the outbox
//! row says `pending` or `failed` and why, for the admin to see.
//!
//! Templates (docs/api.md, "Mail"): (welcome, verification, password-reset, new-login), each as
//! plain text and as HTML with inline styles and a table layout (what mail clients render; the advice for
//! mail clients), branded with `APP_NAME` and `PRIMARY_COLOR`.

use crate::engine::crypto::tokens::new_uuid;
use crate::engine::delivery::{Deliveries, Payload};
use crate::engine::platform::config::{Config, MailProvider};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{count, SqlRunner, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::mail_outbox;

/// What a message says; each variant is one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailContent {
    /// After the address is verified.
    Welcome {
        account_url: String,
    },
    Verification {
        url: String,
        valid_hours: u32,
    },
    PasswordReset {
        url: String,
        valid_minutes: u32,
    },
    /// A sign-in from a browser this account has not used before.
    NewLogin {
        when: String,
        ip_address: Option<String>,
        user_agent: Option<String>,
        account_url: String,
    },
    /// A second factor was turned on (the `mfa-enabled` template).
    MfaEnabled {
        when: String,
        account_url: String,
    },
    /// A way to sign in was added or removed: a passkey, the app, backup codes, a linked
    /// provider, the password (docs/security.md, "Changing how one signs in").
    SignInMethodChanged {
        /// One sentence: what changed.
        change: String,
        when: String,
        ip_address: Option<String>,
        account_url: String,
    },
    /// An admin's test send (`POST /api/mail/test`): proves the transport works.
    Test {
        when: String,
        sent_by: String,
    },
}

impl MailContent {
    /// The content as the outbox keeps it when a provider delivers the mail: a link that
    /// works as a credential (verification, password reset) loses its token, so whoever
    /// reads the outbox cannot use it. With `EMAIL_PROVIDER=log` (local development) the
    /// outbox is the delivery, and keeps the link whole.
    pub fn redacted(&self) -> MailContent {
        let hide = |url: &str| match url.split_once("token=") {
            Some((before, _)) => format!("{before}token={REDACTED}"),
            None => url.to_owned(),
        };
        match self {
            MailContent::Verification { url, valid_hours } => {
                MailContent::Verification { url: hide(url), valid_hours: *valid_hours }
            }
            MailContent::PasswordReset { url, valid_minutes } => {
                MailContent::PasswordReset { url: hide(url), valid_minutes: *valid_minutes }
            }
            other => other.clone(),
        }
    }

    pub fn template(&self) -> &'static str {
        match self {
            MailContent::Welcome { .. } => "welcome",
            MailContent::Verification { .. } => "verification",
            MailContent::PasswordReset { .. } => "password-reset",
            MailContent::NewLogin { .. } => "new-login",
            MailContent::MfaEnabled { .. } => "mfa-enabled",
            MailContent::Test { .. } => "test",
            MailContent::SignInMethodChanged { .. } => "sign-in-method-changed",
        }
    }
}

/// What stands for a link token in the outbox (see [`MailContent::redacted`]).
pub const REDACTED: &str = "REDACTED";

/// A message as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: String,
    pub template: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `logged`, `pending`, `sent` or `failed`.
    pub status: String,
    pub last_error: Option<String>,
    pub created_at: UnixTime,
}

#[allow(async_fn_in_trait)]
pub trait MailStore {
    async fn insert_mail(&self, mail: &Mail) -> Result<(), InternalError>;
    /// Records the provider's answer for a `pending` message.
    async fn mark_mail(&self, id: &str, status: &str, error: Option<&str>, now: UnixTime) -> Result<(), InternalError>;
    /// Newest first, and how many there are in all.
    async fn outbox(&self, limit: u32, offset: u32) -> Result<(Vec<Mail>, u64), InternalError>;
}

/// Written once for D1 and SQLite (see [`SqlRunner`]).
impl<T: SqlRunner> MailStore for T {
    async fn insert_mail(&self, m: &Mail) -> Result<(), InternalError> {
        match self.exec(mail_outbox::insert(m)).await? {
            1 => Ok(()),
            n => Err(InternalError::new(format!("outbox insert changed {n} rows"))),
        }
    }

    async fn mark_mail(&self, id: &str, status: &str, error: Option<&str>, now: UnixTime) -> Result<(), InternalError> {
        self.exec(mail_outbox::mark(id, status, error, now)).await.map(|_| ())
    }

    async fn outbox(&self, limit: u32, offset: u32) -> Result<(Vec<Mail>, u64), InternalError> {
        let [rows, total] = self.select_pair_of(mail_outbox::page(limit, offset)).await?;
        Ok((mail_outbox::decode_mails(rows)?, count(total)?))
    }
}

/// Renders `content` for `to` and writes it to the outbox; with a provider that delivers
/// (`http`, `smtp`), also as a delivery (`engine::delivery`: the Queue, retries, a dead
/// letter an admin can retry), in the same batch. The outbox keeps what an admin may read
/// (a credential link redacted); only the sealed delivery holds the link whole. Only a
/// failed write is an error: a transport's failure never fails the request.
pub async fn send<P: Platform>(
    rc: &RequestContext<'_, P>,
    to: &str,
    content: &MailContent,
) -> Result<(), InternalError> {
    match write(rc, to, content).await? {
        Some(id) => Deliveries { rc: *rc }.dispatch(&id).await,
        None => Ok(()),
    }
}

/// [`send`]'s writes: the outbox row and, with a provider that delivers, the delivery,
/// whose id (the outbox row's too) it returns.
pub async fn write<P: Platform>(
    rc: &RequestContext<'_, P>,
    to: &str,
    content: &MailContent,
) -> Result<Option<String>, InternalError> {
    let delivers = rc.config.mail.provider != MailProvider::Log;
    let stored = if delivers { content.redacted() } else { content.clone() };
    let (subject, text, html) = render(rc.config, &stored);
    let mail = Mail {
        id: new_uuid(rc.rng)?,
        template: content.template().into(),
        to: to.into(),
        subject,
        text,
        html,
        status: if delivers { "pending".into() } else { "logged".into() },
        last_error: None,
        created_at: rc.now,
    };
    if !delivers {
        return rc.store.insert_mail(&mail).await.map(|()| None);
    }
    // What is sent has the real link; what the outbox keeps does not.
    let (subject, text, html) = render(rc.config, content);
    let payload = Payload::Mail { to: to.into(), subject, text, html, created_at: rc.now };
    let deliveries = Deliveries { rc: *rc };
    let summary = format!("{} to {to}", mail.template);
    let written =
        rc.store.batch(&[mail_outbox::insert(&mail), deliveries.record(&mail.id, &summary, &payload)?]).await?;
    if written != [1, 1] {
        return Err(InternalError::new(format!("outbox and delivery inserts changed {written:?} rows")));
    }
    Ok(Some(mail.id))
}

/// `&`, `<`, `>`, `"` and `'` as entities: every value put into HTML (mail and the
/// server-rendered pages).
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A paragraph of text and, optionally, the one button of the message.
struct Body {
    heading: String,
    paragraphs: Vec<String>,
    button: Option<(String, String)>,
    after: Vec<String>,
}

/// Subject, plain text and HTML of `content`.
pub fn render(config: &Config, content: &MailContent) -> (String, String, String) {
    let app = &config.branding.app_name;
    let (subject, body) = match content {
        MailContent::Welcome { account_url } => (
            format!("Welcome to {app}"),
            Body {
                heading: format!("Welcome to {app}"),
                paragraphs: vec![
                    "Your email address is verified and your account is ready.".into(),
                    "You can now sign in to every application that uses this service.".into(),
                ],
                button: Some(("View your account".into(), account_url.clone())),
                after: vec![format!("Welcome aboard, the {app} team")],
            },
        ),
        MailContent::Verification { url, valid_hours } => (
            "Verify your email address".into(),
            Body {
                heading: "Verify your email address".into(),
                paragraphs: vec![format!("Confirm that this address is yours to finish creating your {app} account:")],
                button: Some(("Verify email".into(), url.clone())),
                after: vec![
                    format!("This link expires in {}.", plural(*valid_hours, "hour")),
                    "If you did not create an account, ignore this email.".into(),
                ],
            },
        ),
        MailContent::PasswordReset { url, valid_minutes } => (
            "Reset your password".into(),
            Body {
                heading: "Reset your password".into(),
                paragraphs: vec!["Click the link below to reset your password:".into()],
                button: Some(("Reset password".into(), url.clone())),
                after: vec![
                    format!("This link expires in {}.", plural(*valid_minutes, "minute")),
                    "If you didn't request this, ignore this email.".into(),
                ],
            },
        ),
        MailContent::NewLogin { when, ip_address, user_agent, account_url } => (
            format!("New sign-in to your {app} account"),
            Body {
                heading: "New sign-in".into(),
                paragraphs: vec![
                    "Your account was just signed in to from a browser it has not used before.".into(),
                    format!("When: {when}"),
                    format!("IP address: {}", ip_address.as_deref().unwrap_or("unknown")),
                    format!("Browser: {}", user_agent.as_deref().unwrap_or("unknown")),
                ],
                button: Some(("Review your sessions".into(), account_url.clone())),
                after: vec![
                    "If this was not you, change your password now and sign out the sessions you do not recognise."
                        .into(),
                ],
            },
        ),
        MailContent::Test { when, sent_by } => (
            format!("Test message from {app}"),
            Body {
                heading: "This is a test message".into(),
                paragraphs: vec![
                    format!("{sent_by} sent it from the admin console to check that {app}'s mail arrives."),
                    format!("When: {when}"),
                ],
                button: None,
                after: vec!["Nothing needs to be done.".into()],
            },
        ),
        MailContent::MfaEnabled { when, account_url } => (
            format!("Two-step sign-in is on for your {app} account"),
            Body {
                heading: "Two-step sign-in is on".into(),
                paragraphs: vec![
                    "An authenticator app was set up for your account: from now on, signing in takes your \
                     password and a code from the app."
                        .into(),
                    format!("When: {when}"),
                    "Keep your backup codes somewhere safe: each one signs you in once if the app is lost.".into(),
                ],
                button: Some(("Review your account".into(), account_url.clone())),
                after: vec!["If this was not you, reset your password now and contact support.".into()],
            },
        ),
        MailContent::SignInMethodChanged { change, when, ip_address, account_url } => (
            format!("How you sign in to {app} changed"),
            Body {
                heading: "How you sign in changed".into(),
                paragraphs: vec![
                    change.clone(),
                    format!("When: {when}"),
                    format!("IP address: {}", ip_address.as_deref().unwrap_or("unknown")),
                ],
                button: Some(("Review your account".into(), account_url.clone())),
                after: vec![
                    "If this was not you, reset your password now: the reset lets you remove passkeys and linked                      accounts you do not recognise."
                        .into(),
                ],
            },
        ),
    };
    let text = plain_text(&body);
    let html = html(config, &subject, &body);
    (subject, text, html)
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn plain_text(body: &Body) -> String {
    let mut lines = vec![body.heading.clone(), String::new()];
    lines.extend(body.paragraphs.iter().cloned());
    if let Some((_, url)) = &body.button {
        lines.push(url.clone());
    }
    lines.push(String::new());
    lines.extend(body.after.iter().cloned());
    lines.join("\n") + "\n"
}

fn html(config: &Config, subject: &str, body: &Body) -> String {
    let color = escape_html(&config.branding.primary_color);
    let paragraph = |p: &String| {
        format!(r#"<p style="color:#333333;font-size:16px;line-height:24px;margin:0 0 16px">{}</p>"#, escape_html(p))
    };
    let mut content =
        format!(r#"<h1 style="color:#111111;font-size:22px;margin:0 0 16px">{}</h1>"#, escape_html(&body.heading));
    content.extend(body.paragraphs.iter().map(paragraph));
    if let Some((label, url)) = &body.button {
        content.push_str(&format!(
            r#"<p style="margin:24px 0"><a href="{url}" style="display:inline-block;padding:12px 24px;background-color:{color};color:#ffffff;text-decoration:none;border-radius:6px">{label}</a></p><p style="color:#666666;font-size:13px;margin:0 0 16px">Or open this link: {url}</p>"#,
            url = escape_html(url),
            label = escape_html(label),
        ));
    }
    content.extend(body.after.iter().map(paragraph));
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body style="margin:0;padding:0;background:#f4f4f5"><table width="100%" cellpadding="0" cellspacing="0" role="presentation"><tr><td align="center" style="padding:24px"><table width="560" cellpadding="0" cellspacing="0" role="presentation" style="background:#ffffff;border-radius:8px"><tr><td style="padding:24px 32px;border-bottom:4px solid {color};font-family:Arial,sans-serif;font-size:18px;font-weight:bold;color:#111111">{app}</td></tr><tr><td style="padding:32px;font-family:Arial,sans-serif">{content}</td></tr></table></td></tr></table></body></html>"#,
        title = escape_html(subject),
        app = escape_html(&config.branding.app_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::config::Config;
    use crate::engine::test_support::dev_vars;

    fn config() -> Config {
        let vars = dev_vars();
        Config::load(&|name: &'static str| vars.get(name).cloned()).unwrap()
    }

    #[test]
    fn the_reset_mail_reads_as_documented() {
        let content = MailContent::PasswordReset {
            url: "https://auth.example.com/reset-password?token=abc123".into(),
            valid_minutes: 60,
        };
        let (subject, text, html) = render(&config(), &content);
        assert_eq!(subject, "Reset your password");
        assert!(text.contains(
            "Click the link below to reset your password:\nhttps://auth.example.com/reset-password?token=abc123"
        ));
        assert!(text.contains("This link expires in 60 minutes."));
        assert!(text.contains("If you didn't request this, ignore this email."));
        assert!(html.contains(r#"href="https://auth.example.com/reset-password?token=abc123""#));
        assert!(html.contains("background-color:#7c3aed"), "branded with PRIMARY_COLOR");
    }

    #[test]
    fn values_in_html_mail_are_escaped() {
        let content = MailContent::NewLogin {
            when: "now".into(),
            ip_address: None,
            user_agent: Some("<script>alert('x')</script>".into()),
            account_url: "https://id.example.com/account?a=1&b=2".into(),
        };
        let (_, text, html) = render(&config(), &content);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("account?a=1&amp;b=2"));
        assert!(text.contains("Browser: <script>"), "plain text stays as it is");
        assert!(text.contains("IP address: unknown"));
    }

    #[test]
    fn every_template_has_its_name() {
        let names: Vec<&str> = [
            MailContent::Welcome { account_url: String::new() },
            MailContent::Verification { url: String::new(), valid_hours: 24 },
            MailContent::PasswordReset { url: String::new(), valid_minutes: 60 },
            MailContent::NewLogin {
                when: String::new(),
                ip_address: None,
                user_agent: None,
                account_url: String::new(),
            },
            MailContent::MfaEnabled { when: String::new(), account_url: String::new() },
            MailContent::Test { when: String::new(), sent_by: String::new() },
            MailContent::SignInMethodChanged {
                change: String::new(),
                when: String::new(),
                ip_address: None,
                account_url: String::new(),
            },
        ]
        .iter()
        .map(MailContent::template)
        .collect();
        assert_eq!(
            names,
            ["welcome", "verification", "password-reset", "new-login", "mfa-enabled", "test", "sign-in-method-changed"]
        );
    }
}
