//! The audit log over the admin API (`/api/audit-logs...`, docs/api.md, "Admin and
//! account API"): pages, one entry, and exports streamed as CSV or NDJSON for any filter. Every
//! read is audited (`audit.read`, `audit.exported`). Also the sign-in counts drawn from
//! it (`/api/metrics/sign-ins`).

use futures_util::stream;
use serde_json::json;
use worker::{Request, Response};

use crate::edge::adapters::db;
use crate::edge::context::Cx;
use crate::edge::request::{paging, query};
use crate::edge::respond;
use crate::engine::admin::auth::AdminPrincipal;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::ops::audit_log::{self, AuditFilter, Cursor, CSV_HEADER};
use crate::engine::ops::sign_in_stats::sign_in_stats;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::SystemRandom;
use crate::engine::platform::time::parse_instant;
use crate::routes::Matched;

/// Entries read per D1 query while exporting.
const EXPORT_BATCH: u32 = 500;

fn filter(params: &Form) -> Result<AuditFilter, ApiError> {
    let text = |name: &str| params.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
    let instant = |name: &str| match params.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse_instant(v).map(Some).ok_or_else(|| {
            ApiError::invalid(name, "must be unix seconds, a date like 2024-01-31 or 2024-01-31T10:00:00Z")
        }),
    };
    Ok(AuditFilter {
        event: text("event"),
        from: instant("from")?,
        to: instant("to")?,
        actor_id: text("actor_id"),
        client_id: text("client_id"),
        resource_type: text("resource_type"),
        ip: text("ip"),
    })
}

async fn audited(
    cx: &Cx<'_>,
    admin: &AdminPrincipal,
    event: &'static str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let (actor_type, actor_id) = admin.actor();
    let entry = AuditEvent::new(event, &cx.meta, cx.now, &SystemRandom)?.actor(actor_type, actor_id).metadata(details);
    Ok(cx.store.record(&entry).await?)
}

/// `GET /api/audit-logs?<filters>`: a page, newest first; audited `audit.read`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let (limit, offset) = paging(&params)?;
    let page = audit_log::list(&cx.store, &filter(&params)?, limit, offset).await?;
    audited(cx, &admin, "audit.read", json!({ "query": crate::edge::request::query_string(&req) })).await?;
    Ok(respond::set_no_store(respond::json(200, &page)))
}

/// `GET /api/audit-logs/{id}`; audited `audit.read`.
pub async fn get(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let entry = audit_log::get(&cx.store, m.param(0)).await?;
    audited(cx, &admin, "audit.read", json!({ "id": entry.id })).await?;
    Ok(respond::set_no_store(respond::json(200, &entry)))
}

/// `GET /api/metrics/sign-ins?period=24h|30d`: counts, not entries, so not audited as a read.
pub async fn sign_in_metrics(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let _admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let stats = sign_in_stats(&cx.store, params.get("period").unwrap_or("24h"), cx.now).await?;
    Ok(respond::set_no_store(respond::json(200, &stats)))
}

/// `GET /api/audit-logs/export?format=csv|ndjson&<filters>`: every matching entry, newest
/// first, read in batches while the answer streams (no size limit, bounded memory);
/// audited `audit.exported`.
pub async fn export(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = &query(&req)?;
    let (req, admin) = (&req, &admin);
    let csv = match params.get("format").unwrap_or("csv") {
        "csv" => true,
        "ndjson" => false,
        _ => return Err(ApiError::invalid("format", "must be csv or ndjson")),
    };
    let filter = filter(params)?;
    let query = crate::edge::request::query_string(req);
    audited(cx, admin, "audit.exported", json!({ "format": if csv { "csv" } else { "ndjson" }, "query": query }))
        .await?;
    enum Step {
        Header,
        Batch(Option<Cursor>),
        Done,
    }
    let env = cx.env.clone();
    let body = stream::unfold(if csv { Step::Header } else { Step::Batch(None) }, move |step| {
        let (env, filter) = (env.clone(), filter.clone());
        async move {
            let cursor = match step {
                Step::Done => return None,
                Step::Header => {
                    return Some((Ok::<Vec<u8>, worker::Error>(CSV_HEADER.as_bytes().to_vec()), Step::Batch(None)))
                }
                Step::Batch(cursor) => cursor,
            };
            let store = db(&env).ok()?;
            match audit_log::export_batch(&store, &filter, cursor, EXPORT_BATCH).await {
                Ok((entries, next)) if !entries.is_empty() => {
                    let mut chunk = String::new();
                    for e in &entries {
                        if csv {
                            chunk.push_str(&audit_log::csv_line(e));
                        } else {
                            chunk.push_str(&serde_json::to_string(e).unwrap_or_default());
                            chunk.push('\n');
                        }
                    }
                    Some((Ok(chunk.into_bytes()), next.map_or(Step::Done, |c| Step::Batch(Some(c)))))
                }
                Ok(_) => None,
                Err(e) => {
                    log::error!("audit export stopped: {}", e.detail());
                    None
                }
            }
        }
    });
    let response = Response::from_stream(body)
        .map_err(|e| crate::engine::platform::error::InternalError::new(format!("export stream: {e}")))?;
    let (content_type, name) =
        if csv { ("text/csv; charset=utf-8", "audit-log.csv") } else { ("application/x-ndjson", "audit-log.ndjson") };
    let response = respond::with_header(response, "Content-Type", content_type);
    let response = respond::with_header(response, "Content-Disposition", &format!("attachment; filename=\"{name}\""));
    Ok(respond::set_no_store(response))
}
