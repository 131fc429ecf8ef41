//! The built-in mail templates, per language (docs/i18n.md, docs/delivery.md): Jinja
//! sources (minijinja renders them in the worker) for the subject, the plain text and the
//! HTML content the branded layout wraps. An operator's edited copy, per template and
//! language, replaces them (the worker's `mail_templates` table). Only the worker compiles
//! this module (feature `mail`): the pages never carry mail.

mod en;
mod es;
mod fr;

use super::Locale;

/// One template's three sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub subject: &'static str,
    pub text: &'static str,
    pub html: &'static str,
}

/// Every template of one language, and the words the worker puts into values.
#[derive(Debug)]
pub struct MailCatalogue {
    pub welcome: Source,
    pub verification: Source,
    pub password_reset: Source,
    pub new_login: Source,
    pub mfa_enabled: Source,
    pub sign_in_method_changed: Source,
    pub test: Source,
    /// `{n}` hour(s), minute(s): the `expires_in` value.
    pub one_hour: &'static str,
    pub hours: &'static str,
    pub one_minute: &'static str,
    pub minutes: &'static str,
    /// An IP address or browser the request did not give.
    pub unknown: &'static str,
    /// The footer under every message.
    pub sent_by: &'static str,
    pub rights: &'static str,
    /// The `change` of `sign-in-method-changed` (`identity::mail::MethodChange`).
    pub passkey_added: &'static str,
    pub passkey_removed: &'static str,
    pub provider_linked: &'static str,
    pub provider_unlinked: &'static str,
    pub two_step_off: &'static str,
    pub backup_codes_renewed: &'static str,
    pub password_changed: &'static str,
    pub removed_after_reset: &'static str,
    pub a_passkey: &'static str,
    pub signing_in_with: &'static str,
}

impl MailCatalogue {
    /// The source of template `name` (`identity::mail`'s names).
    pub fn source(&self, name: &str) -> Option<Source> {
        Some(match name {
            "welcome" => self.welcome,
            "verification" => self.verification,
            "password-reset" => self.password_reset,
            "new-login" => self.new_login,
            "mfa-enabled" => self.mfa_enabled,
            "sign-in-method-changed" => self.sign_in_method_changed,
            "test" => self.test,
            _ => return None,
        })
    }

    /// `n` hours (`unit_hours`) or minutes, in words.
    pub fn duration(&self, n: u32, unit_hours: bool) -> String {
        let (one, many) = if unit_hours { (self.one_hour, self.hours) } else { (self.one_minute, self.minutes) };
        if n == 1 {
            one.to_owned()
        } else {
            super::fill(many, &[("n", &n.to_string())])
        }
    }
}

pub use crate::mail_templates::NAMES;

impl Locale {
    pub fn mail(self) -> &'static MailCatalogue {
        match self {
            Locale::En => &en::MAIL,
            Locale::Es => &es::MAIL,
            Locale::Fr => &fr::MAIL,
        }
    }
}
