//! The `mail_outbox` table (migrations/0004): every mail the server wrote, and whether the
//! provider took it; every statement on it.

use crate::engine::identity::mail::Mail;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, Statement, UnixTime};

const DELETE_OLDER_SQL: &str =
    "DELETE FROM mail_outbox WHERE rowid IN (SELECT rowid FROM mail_outbox WHERE created_at < ?1 LIMIT ?2)";

/// Cleanup: up to `limit` mails written before `before` (`OUTBOX_RETENTION_DAYS`).
pub fn delete_older(before: UnixTime, limit: i64) -> Statement<'static> {
    (DELETE_OLDER_SQL, vec![before.into(), limit.into()])
}

const INSERT_SQL: &str = "INSERT INTO mail_outbox (id, template, to_address, subject, text_body, html_body, \
status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const MARK_SQL: &str = "UPDATE mail_outbox SET status = ?2, last_error = ?3, \
sent_at = CASE WHEN ?2 = 'sent' THEN ?4 ELSE sent_at END WHERE id = ?1";
/// Newest first; rowid orders messages written in the same second.
const PAGE_SQL: &str = "SELECT id, template, to_address, subject, text_body, html_body, status, last_error, \
created_at FROM mail_outbox ORDER BY created_at DESC, rowid DESC LIMIT ?1 OFFSET ?2";
const COUNT_SQL: &str = "SELECT COUNT(*) AS total FROM mail_outbox";

#[derive(serde::Deserialize)]
struct MailRow {
    id: String,
    template: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    status: String,
    last_error: Option<String>,
    created_at: f64,
}

pub fn insert(m: &Mail) -> Statement<'static> {
    let args = vec![
        (&m.id).into(),
        (&m.template).into(),
        (&m.to).into(),
        (&m.subject).into(),
        (&m.text).into(),
        (&m.html).into(),
        (&m.status).into(),
        m.created_at.into(),
    ];
    (INSERT_SQL, args)
}

/// What the provider said: `sent` (then `sent_at` is now) or a failure and its error.
pub fn mark(id: &str, status: &str, error: Option<&str>, now: UnixTime) -> Statement<'static> {
    (MARK_SQL, vec![id.into(), status.into(), error.into(), now.into()])
}

/// A page of the outbox, newest first, and its total: two statements for one batch.
pub fn page(limit: u32, offset: u32) -> [Statement<'static>; 2] {
    [(PAGE_SQL, vec![limit.into(), offset.into()]), (COUNT_SQL, vec![])]
}

/// The rows of [`page`]'s first statement.
pub fn decode_mails(rows: Vec<serde_json::Value>) -> Result<Vec<Mail>, InternalError> {
    rows.into_iter()
        .map(|row| {
            let r: MailRow = crate::engine::platform::json::row(row, "outbox")?;
            Ok(Mail {
                id: r.id,
                template: r.template,
                to: r.to_address,
                subject: r.subject,
                text: r.text_body,
                html: r.html_body,
                status: r.status,
                last_error: r.last_error,
                created_at: int(r.created_at),
            })
        })
        .collect()
}
