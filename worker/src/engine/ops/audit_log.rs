//! Reading the audit log (docs/api.md, "Admin and account API": `GET /api/audit-logs` with
//! filters, `GET /api/audit-logs/{id}`, exports). Newest first; the indexes of
//! migrations/0002 (`timestamp`, `event, timestamp`, `actor_id, timestamp`) serve the
//! filters. Reading is itself audited by the caller (`audit.read`, `audit.exported`).

use serde::Deserialize;
use shared::account::Page;
use shared::audit::AuditEntry;

use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{count, int, SqlRunner, UnixTime};
use crate::engine::tables::audit_log as table;

/// `GET /api/audit-logs` filters; `None` means any. `client_id` matches entries about a
/// client (as resource) or by it (as actor).
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub event: Option<String>,
    pub from: Option<UnixTime>,
    pub to: Option<UnixTime>,
    pub actor_id: Option<String>,
    pub client_id: Option<String>,
    pub resource_type: Option<String>,
    pub ip: Option<String>,
}

/// One page, newest first, and the total: one round trip.
pub async fn list(
    store: &impl SqlRunner,
    filter: &AuditFilter,
    limit: u32,
    offset: u32,
) -> Result<Page<AuditEntry>, ApiError> {
    let [(list, page_args), (total, filter_args)] = table::page(filter, limit, offset);
    let mut results = store.query_batch(&[(list.as_str(), page_args), (total.as_str(), filter_args)]).await?;
    let totals = results.pop().unwrap_or_default();
    let rows = results.pop().unwrap_or_default();
    Ok(Page { data: table::entries(rows)?, total: count(totals)?, limit, offset })
}

/// One entry, or 404.
pub async fn get(store: &impl SqlRunner, id: &str) -> Result<AuditEntry, ApiError> {
    let entry = table::entries(store.select(table::by_id(id)).await?)?.into_iter().next();
    entry.ok_or(ApiError::not_found(shared::codes::NOT_FOUND, "no audit entry with this id"))
}

/// Where an export continues: the last entry written (newest first, so older ones follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub timestamp: UnixTime,
    pub rowid: i64,
}

/// The next `batch` entries of an export after `cursor` (keyset paging, so a long export
/// never re-reads what it skipped), with the cursor to continue from.
pub async fn export_batch(
    store: &impl SqlRunner,
    filter: &AuditFilter,
    cursor: Option<Cursor>,
    batch: u32,
) -> Result<(Vec<AuditEntry>, Option<Cursor>), InternalError> {
    let (sql, args) = table::export_page(filter, cursor, batch);
    let rows = store.query(&sql, &args).await?;
    #[derive(Deserialize)]
    struct Position {
        timestamp: f64,
        row_number: f64,
    }
    let next = rows
        .last()
        .and_then(|r| crate::engine::platform::json::from_object::<Position>(r.clone()).ok())
        .map(|p| Cursor { timestamp: int(p.timestamp), rowid: int(p.row_number) });
    let full = rows.len() == batch as usize;
    Ok((table::entries(rows)?, next.filter(|_| full)))
}

/// One CSV line of an entry (RFC 4180: every field quoted, quotes doubled).
///
/// A cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`,
/// a TAB or a CR: OWASP "CSV Injection") gets a leading `'`, so a User-Agent or an email
/// an attacker chose is shown as text, never run.
pub fn csv_line(e: &AuditEntry) -> String {
    let quote = |s: &str| {
        let text = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
        format!("\"{}\"", text.replace('"', "\"\""))
    };
    let opt = |s: &Option<String>| quote(s.as_deref().unwrap_or_default());
    format!(
        "{},{},{},{},{},{},{},{},{},{}\r\n",
        quote(&e.id),
        quote(&e.timestamp),
        quote(&e.event),
        opt(&e.actor_id),
        opt(&e.actor_type),
        opt(&e.resource_type),
        opt(&e.resource_id),
        opt(&e.ip_address),
        opt(&e.user_agent),
        quote(&e.metadata.to_string()),
    )
}

pub const CSV_HEADER: &str =
    "id,timestamp,event,actor_id,actor_type,resource_type,resource_id,ip_address,user_agent,metadata\r\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ops::audit::{AuditEvent, AuditStore, RequestMeta};
    use crate::engine::platform::ports::SystemRandom;
    use crate::native::SqliteStore;

    fn store_with_events() -> SqliteStore {
        let store = SqliteStore::open_in_memory().unwrap();
        let meta = |ip: &str| RequestMeta {
            ip_address: Some(ip.into()),
            user_agent: Some("UA \"quoted\"".into()),
            location: None,
        };
        let events = [
            ("user.login", 1_000, "user", "u1", None, "10.0.0.1"),
            ("user.login_failed", 2_000, "user", "u2", None, "10.0.0.2"),
            ("client.updated", 3_000, "user", "u1", Some("app-1"), "10.0.0.1"),
            ("token.issued", 4_000, "client", "app-1", None, "10.0.0.3"),
            ("user.login", 86_400, "user", "u2", None, "10.0.0.2"),
        ];
        for (event, at, actor_type, actor, client, ip) in events {
            let mut e = AuditEvent::new(event, &meta(ip), at, &SystemRandom)
                .unwrap()
                .actor(actor_type, actor)
                .metadata(serde_json::json!({ "n": at }));
            if let Some(client) = client {
                e = e.resource("client", client);
            }
            pollster::block_on(store.record(&e)).unwrap();
        }
        store
    }

    fn listed(store: &SqliteStore, f: AuditFilter) -> Vec<String> {
        pollster::block_on(list(store, &f, 50, 0)).unwrap().data.into_iter().map(|e| e.event).collect()
    }

    #[test]
    fn filters_narrow_newest_first_and_entries_have_the_contract_shape() {
        let store = store_with_events();
        let all = pollster::block_on(list(&store, &AuditFilter::default(), 2, 0)).unwrap();
        assert_eq!(all.total, 5);
        assert_eq!(all.data[0].event, "user.login", "newest first");
        assert_eq!(all.data[0].timestamp, "1970-01-02T00:00:00Z");
        assert_eq!(all.data[0].metadata["n"], 86_400);
        let event = AuditFilter { event: Some("user.login".into()), ..AuditFilter::default() };
        assert_eq!(listed(&store, event), ["user.login", "user.login"]);
        let window = AuditFilter { from: Some(2_000), to: Some(4_000), ..AuditFilter::default() };
        assert_eq!(listed(&store, window), ["client.updated", "user.login_failed"], "to is exclusive");
        let client = AuditFilter { client_id: Some("app-1".into()), ..AuditFilter::default() };
        assert_eq!(listed(&store, client), ["token.issued", "client.updated"], "as actor or as resource");
        let actor = AuditFilter { actor_id: Some("u2".into()), ip: Some("10.0.0.2".into()), ..AuditFilter::default() };
        assert_eq!(listed(&store, actor).len(), 2);
        let kind = AuditFilter { resource_type: Some("client".into()), ..AuditFilter::default() };
        assert_eq!(listed(&store, kind), ["client.updated"]);
        let id = pollster::block_on(list(&store, &AuditFilter::default(), 1, 4)).unwrap().data[0].id.clone();
        assert_eq!(pollster::block_on(get(&store, &id)).unwrap().timestamp, "1970-01-01T00:16:40Z");
        assert!(pollster::block_on(get(&store, "nope")).is_err());
    }

    #[test]
    fn an_export_walks_every_entry_once_in_batches_and_csv_quotes_fields() {
        let store = store_with_events();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (batch, next) = pollster::block_on(export_batch(&store, &AuditFilter::default(), cursor, 2)).unwrap();
            seen.extend(batch.into_iter().map(|e| e.id));
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5);
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5, "no entry twice");
        let entry = pollster::block_on(list(&store, &AuditFilter::default(), 1, 0)).unwrap().data.remove(0);
        let line = csv_line(&entry);
        assert!(line.contains(r#""UA ""quoted""""#), "{line}");
        assert!(line.contains(r#""{""n"":86400}""#), "{line}");
        assert_eq!(line.matches("\",\"").count(), 9, "ten fields");
    }
}
