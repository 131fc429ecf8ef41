//! The `mail_templates` table (migrations/0033): an operator's edited copy of a mail
//! template in one language (docs/i18n.md, "Mail templates"); every statement on it.

use serde::Deserialize;

use crate::engine::identity::mail_templates::Sources;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, Statement, UnixTime};

const ONE_SQL: &str = "SELECT name, locale, subject, text_body, html_body, updated_at, updated_by FROM mail_templates \
     WHERE name = ?1 AND locale = ?2";
const ALL_SQL: &str = "SELECT name, locale, subject, text_body, html_body, updated_at, updated_by FROM mail_templates";
const SAVE_SQL: &str = "INSERT INTO mail_templates (name, locale, subject, text_body, html_body, updated_at, \
updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name, locale) DO UPDATE SET subject = ?3, \
text_body = ?4, html_body = ?5, updated_at = ?6, updated_by = ?7";
const RESET_SQL: &str = "DELETE FROM mail_templates WHERE name = ?1 AND locale = ?2";

/// One edited template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub name: String,
    pub locale: String,
    pub sources: Sources,
    pub updated_at: UnixTime,
    pub updated_by: String,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    locale: String,
    subject: String,
    text_body: String,
    html_body: String,
    updated_at: f64,
    updated_by: String,
}

pub fn one(name: &str, locale: &str) -> Statement<'static> {
    (ONE_SQL, vec![name.into(), locale.into()])
}

pub fn all() -> Statement<'static> {
    (ALL_SQL, vec![])
}

pub fn save(name: &str, locale: &str, sources: &Sources, now: UnixTime, by: &str) -> Statement<'static> {
    (
        SAVE_SQL,
        vec![
            name.into(),
            locale.into(),
            sources.subject.clone().into(),
            sources.text.clone().into(),
            sources.html.clone().into(),
            now.into(),
            by.into(),
        ],
    )
}

pub fn reset(name: &str, locale: &str) -> Statement<'static> {
    (RESET_SQL, vec![name.into(), locale.into()])
}

pub fn decode(rows: Vec<serde_json::Value>) -> Result<Vec<Edited>, InternalError> {
    rows.into_iter()
        .map(|row| {
            let r: Row = serde_json::from_value(row).map_err(|e| InternalError::new(format!("mail template: {e}")))?;
            Ok(Edited {
                name: r.name,
                locale: r.locale,
                sources: Sources { subject: r.subject, text: r.text_body, html: r.html_body },
                updated_at: int(r.updated_at),
                updated_by: r.updated_by,
            })
        })
        .collect()
}
