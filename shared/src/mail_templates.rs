//! Mail templates over the admin API (docs/i18n.md, "Mail templates"): each template in
//! each language, built in or edited; an edit to save or preview.

use serde::{Deserialize, Serialize};

/// The templates' names, in the order the console lists them.
pub const NAMES: &[&str] =
    &["verification", "password-reset", "welcome", "new-login", "mfa-enabled", "sign-in-method-changed", "test"];

/// `PUT /api/mail-templates/{name}/{locale}` and `.../preview`: the three Jinja sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailTemplateEdit {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One template in one language, as the console edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailTemplate {
    pub name: String,
    pub locale: String,
    /// An operator's copy replaces the built-in one.
    pub customized: bool,
    /// What the sources may name: `{{ user.name }}`, `{{ url }}`, … and `button(url, label)`.
    pub placeholders: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::rfc3339_option")]
    pub updated_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

/// `POST /api/mail-templates/{name}/{locale}/preview`: the message as it would be sent,
/// with sample values (the HTML inside the branded layout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPreview {
    pub subject: String,
    pub text: String,
    pub html: String,
}
