//! The mail templates over the admin API (docs/i18n.md, "Mail templates"): every template
//! in every language, built in or edited (an admin reads); an edit checked and saved, or
//! reset to the built-in one (a super_admin: a template is what every person's mail says,
//! links included), each audited; a preview rendered by the code that sends.

use serde_json::json;
use shared::i18n::mail::NAMES;
use shared::i18n::Locale;
use shared::mail_templates::{MailPreview, MailTemplate, MailTemplateEdit};

use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::identity::mail::{self, MailContent, MethodChange, Recipient};
use crate::engine::identity::mail_templates::{self as templates, Sources};
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::{Platform, RequestContext};
use crate::engine::tables::mail_templates::{self as table, Edited};

pub struct MailTemplateAdmin<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
    pub admin: &'a AdminPrincipal,
}

crate::engine::platform::request::request_context_view!(MailTemplateAdmin);

/// `name` and `locale` of a path, checked.
fn template_of(name: &str, locale: &str) -> Result<(&'static str, Locale), ApiError> {
    let name = NAMES.iter().copied().find(|n| *n == name).ok_or_else(|| {
        ApiError::not_found("not_found", format!("no mail template `{name}`; there are {}", NAMES.join(", ")))
    })?;
    let locale = Locale::ALL.iter().copied().find(|l| l.tag() == locale).ok_or_else(|| {
        ApiError::not_found(
            "not_found",
            format!("no language `{locale}`; there are {}", shared::i18n::supported_tags().join(", ")),
        )
    })?;
    Ok((name, locale))
}

fn shown(name: &str, locale: Locale, edited: Option<&Edited>) -> MailTemplate {
    let sources = match edited {
        Some(e) => e.sources.clone(),
        None => locale.mail().source(name).map(Sources::from).unwrap_or_else(|| Sources {
            subject: String::new(),
            text: String::new(),
            html: String::new(),
        }),
    };
    MailTemplate {
        name: name.into(),
        locale: locale.tag().into(),
        customized: edited.is_some(),
        placeholders: templates::COMMON
            .iter()
            .chain(templates::placeholders(name))
            .filter(|p| **p != "user")
            .map(|p| if *p == "button" { "button(url, label)".to_owned() } else { (*p).to_owned() })
            .collect(),
        subject: sources.subject,
        text: sources.text,
        html: sources.html,
        updated_at: edited.map(|e| e.updated_at),
        updated_by: edited.map(|e| e.updated_by.clone()),
    }
}

/// A message of template `name` with sample values, for a preview.
fn sample(name: &str, issuer: &str) -> MailContent {
    let when = "2026-12-07 09:30 UTC".to_owned();
    let account_url = format!("{issuer}/account");
    match name {
        "welcome" => MailContent::Welcome { account_url },
        "verification" => {
            MailContent::Verification { url: format!("{issuer}/verify-email?token=SAMPLE"), valid_hours: 24 }
        }
        "password-reset" => {
            MailContent::PasswordReset { url: format!("{issuer}/reset-password?token=SAMPLE"), valid_minutes: 60 }
        }
        "new-login" => MailContent::NewLogin {
            when,
            ip_address: Some("203.0.113.7".into()),
            device: Some("Firefox on Linux".into()),
            location: Some("San Francisco, CA".into()),
            account_url,
        },
        "mfa-enabled" => MailContent::MfaEnabled { when, account_url },
        "sign-in-method-changed" => MailContent::SignInMethodChanged {
            change: MethodChange::PasskeyAdded { name: "Laptop".into() },
            when,
            ip_address: Some("203.0.113.7".into()),
            account_url,
        },
        _ => MailContent::Test { when, sent_by: "admin@example.com".into() },
    }
}

impl<P: Platform> MailTemplateAdmin<'_, P> {
    fn super_admin_only(&self) -> Result<(), ApiError> {
        if self.admin.is_super_admin() {
            return Ok(());
        }
        Err(ApiError::forbidden(
            shared::codes::SUPER_ADMIN_REQUIRED,
            "only a super_admin may change what the server's mail says",
        ))
    }

    /// `GET /api/mail-templates`: every template in every language.
    pub async fn list(&self) -> Result<Vec<MailTemplate>, ApiError> {
        let edited = table::decode(self.store.select(table::all()).await?)?;
        Ok(NAMES
            .iter()
            .flat_map(|name| Locale::ALL.iter().map(move |locale| (*name, *locale)))
            .map(|(name, locale)| {
                let mine = edited.iter().find(|e| e.name == name && e.locale == locale.tag());
                shown(name, locale, mine)
            })
            .collect())
    }

    /// `PUT /api/mail-templates/{name}/{locale}`: checked (it parses, and names only its
    /// placeholders), saved, audited `mail_template.updated`.
    pub async fn save(&self, name: &str, locale: &str, edit: MailTemplateEdit) -> Result<MailTemplate, ApiError> {
        self.super_admin_only()?;
        let (name, locale) = template_of(name, locale)?;
        let sources = Sources { subject: edit.subject, text: edit.text, html: edit.html };
        templates::check(name, &sources).map_err(|problem| ApiError::bad_request("invalid_template", problem))?;
        let (actor_type, actor_id) = self.admin.actor();
        let event = AuditEvent::new("mail_template.updated", self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("mail_template", &format!("{name}/{}", locale.tag()))
            .metadata(json!({ "subject": sources.subject }));
        self.store.batch(&[table::save(name, locale.tag(), &sources, self.now, actor_id), event.statement()]).await?;
        let edited = Edited {
            name: name.into(),
            locale: locale.tag().into(),
            sources,
            updated_at: self.now,
            updated_by: actor_id.into(),
        };
        Ok(shown(name, locale, Some(&edited)))
    }

    /// `DELETE /api/mail-templates/{name}/{locale}`: back to the built-in template, audited
    /// `mail_template.reset`.
    pub async fn reset(&self, name: &str, locale: &str) -> Result<MailTemplate, ApiError> {
        self.super_admin_only()?;
        let (name, locale) = template_of(name, locale)?;
        let (actor_type, actor_id) = self.admin.actor();
        let event = AuditEvent::new("mail_template.reset", self.meta, self.now, self.rng)?
            .actor(actor_type, actor_id)
            .resource("mail_template", &format!("{name}/{}", locale.tag()));
        self.store.batch(&[table::reset(name, locale.tag()), event.statement()]).await?;
        Ok(shown(name, locale, None))
    }

    /// `POST /api/mail-templates/{name}/{locale}/preview`: `edit` checked as a save is,
    /// then rendered by the code that sends, with sample values.
    pub async fn preview(&self, name: &str, locale: &str, edit: MailTemplateEdit) -> Result<MailPreview, ApiError> {
        let (name, locale) = template_of(name, locale)?;
        let sources = Sources { subject: edit.subject, text: edit.text, html: edit.html };
        templates::check(name, &sources).map_err(|problem| ApiError::bad_request("invalid_template", problem))?;
        let to = Recipient { email: "ada@example.com", name: Some("Ada Lovelace"), locale: Some(locale.tag()) };
        let (subject, text, html) = mail::render(self.config, &to, &sample(name, &self.config.issuer), &sources);
        Ok(MailPreview { subject, text, html })
    }
}

#[cfg(test)]
mod tests;
