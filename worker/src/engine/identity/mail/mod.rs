//! Mail (docs/api.md, "Mail"): every message is written to the `mail_outbox` table first
//! and then delivered by the provider `EMAIL_PROVIDER` names: `log` keeps it there (read at
//! `/admin/outbox` and `GET /api/outbox`), `http` POSTs it to a mail API, `smtp` submits
//! it to a mail server; the last two through `engine::delivery` (the Queue, retries, dead
//! letters). A provider failure never fails the request that caused the mail: the outbox
//! row says `pending` or `failed` and why, for the admin to see.
//!
//! Templates (docs/i18n.md, "Mail templates"): welcome, verification, password-reset,
//! new-login, mfa-enabled, sign-in-method-changed and test, in the recipient's language,
//! an operator's edited copy where there is one (`render`).

mod render;

pub use render::{built_in, escape_html, render, values, Recipient};

use crate::engine::crypto::tokens::new_uuid;
use crate::engine::delivery::{Deliveries, Payload};
use crate::engine::identity::mail_templates::Sources;
use crate::engine::platform::config::MailProvider;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{count, SqlRunner, UnixTime};
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::{mail_outbox, mail_templates};

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
        /// `Chrome on macOS` (`identity::devices`), else the user agent as sent.
        device: Option<String>,
        /// `San Francisco, CA`, where Cloudflare placed the address; absent when it placed nothing.
        location: Option<String>,
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
        /// What changed (said in the recipient's language).
        change: MethodChange,
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

/// A way to sign in that was added or removed (docs/security.md, "Changing how one signs
/// in"): the `change` of the `sign-in-method-changed` mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodChange {
    PasskeyAdded {
        name: String,
    },
    PasskeyRemoved,
    ProviderLinked {
        provider: String,
    },
    ProviderUnlinked {
        provider: String,
    },
    TwoStepOff,
    BackupCodesRenewed,
    PasswordChanged,
    /// After a password reset, the person removed these: passkeys (count) and providers.
    RemovedAfterReset {
        passkeys: usize,
        providers: Vec<String>,
    },
}

impl MethodChange {
    /// The sentence in the language of `words`.
    pub fn sentence(&self, words: &shared::i18n::mail::MailCatalogue) -> String {
        use shared::i18n::fill;
        match self {
            MethodChange::PasskeyAdded { name } => fill(words.passkey_added, &[("name", name)]),
            MethodChange::PasskeyRemoved => words.passkey_removed.into(),
            MethodChange::ProviderLinked { provider } => fill(words.provider_linked, &[("provider", provider)]),
            MethodChange::ProviderUnlinked { provider } => fill(words.provider_unlinked, &[("provider", provider)]),
            MethodChange::TwoStepOff => words.two_step_off.into(),
            MethodChange::BackupCodesRenewed => words.backup_codes_renewed.into(),
            MethodChange::PasswordChanged => words.password_changed.into(),
            MethodChange::RemovedAfterReset { passkeys, providers } => {
                let items: Vec<String> = std::iter::repeat_n(words.a_passkey.to_owned(), *passkeys)
                    .chain(providers.iter().map(|p| fill(words.signing_in_with, &[("provider", p)])))
                    .collect();
                fill(words.removed_after_reset, &[("items", &items.join(", "))])
            }
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
/// (`http`, `smtp`, `cloudflare`), also as a delivery (`engine::delivery`: the Queue,
/// retries, a dead letter an admin can retry), in the same batch. The outbox keeps what an
/// admin may read (a credential link redacted); only the sealed delivery holds the link
/// whole. Only a failed write is an error: a transport's failure never fails the request.
pub async fn send<P: Platform>(
    rc: &RequestContext<'_, P>,
    to: &Recipient<'_>,
    content: &MailContent,
) -> Result<(), InternalError> {
    match write(rc, to, content).await? {
        Some(id) => Deliveries { rc: *rc }.dispatch(&id).await,
        None => Ok(()),
    }
}

/// The sources `content` is written from for `to`: the operator's edited copy in the
/// recipient's language, else the built-in one.
pub async fn sources_for<P: Platform>(
    rc: &RequestContext<'_, P>,
    to: &Recipient<'_>,
    content: &MailContent,
) -> Result<Sources, InternalError> {
    let locale = to.language(rc.config);
    let edited = mail_templates::decode(rc.store.select(mail_templates::one(content.template(), locale.tag())).await?)?;
    Ok(edited.into_iter().next().map_or_else(|| built_in(content, locale), |e| e.sources))
}

/// [`send`]'s writes: the outbox row and, with a provider that delivers, the delivery,
/// whose id (the outbox row's too) it returns.
pub async fn write<P: Platform>(
    rc: &RequestContext<'_, P>,
    to: &Recipient<'_>,
    content: &MailContent,
) -> Result<Option<String>, InternalError> {
    let delivers = rc.config.mail.provider != MailProvider::Log;
    let sources = sources_for(rc, to, content).await?;
    let stored = if delivers { content.redacted() } else { content.clone() };
    let (subject, text, html) = render::render(rc.config, to, &stored, &sources);
    let mail = Mail {
        id: new_uuid(rc.rng)?,
        template: content.template().into(),
        to: to.email.into(),
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
    let (subject, text, html) = render::render(rc.config, to, content, &sources);
    let payload = Payload::Mail { to: to.email.into(), subject, text, html, created_at: rc.now };
    let deliveries = Deliveries { rc: *rc };
    let summary = format!("{} to {}", mail.template, to.email);
    let written =
        rc.store.batch(&[mail_outbox::insert(&mail), deliveries.record(&mail.id, &summary, &payload)?]).await?;
    if written != [1, 1] {
        return Err(InternalError::new(format!("outbox and delivery inserts changed {written:?} rows")));
    }
    Ok(Some(mail.id))
}

#[cfg(test)]
mod tests;
