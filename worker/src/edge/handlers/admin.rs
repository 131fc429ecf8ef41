//! The admin API's outbox and signing keys, behind an admin token (docs/api.md, "Admin and
//! account API").

use shared::account::{OutboxMail, Page};
use shared::admin::KeyRotation;
use shared::codes;
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{paging, query, read_json};
use crate::edge::respond;
use crate::engine::admin::keys;
use crate::engine::identity::mail::MailStore;
use crate::engine::platform::error::ApiError;
use crate::engine::tables::signing_keys;
use crate::routes::Matched;

/// `GET /api/outbox?limit=&offset=` (a super_admin's token): the mail outbox, newest
/// first. Only a super_admin: in local development (`EMAIL_PROVIDER=log`) the outbox holds
/// working reset links, and any account's reset link is that account.
pub async fn outbox(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    match cx.admin(&req).await {
        Err(refused) => return Ok(refused),
        Ok(admin) if !admin.is_super_admin() => {
            return Err(ApiError::forbidden(codes::SUPER_ADMIN_REQUIRED, "only a super_admin may read the mail outbox"))
        }
        Ok(_) => {}
    }
    let (limit, offset) = paging(&query(&req)?)?;
    let (mails, total) = cx.store.outbox(limit, offset).await?;
    let data = mails
        .into_iter()
        .map(|m| OutboxMail {
            id: m.id,
            template: m.template,
            to: m.to,
            subject: m.subject,
            text: m.text,
            html: m.html,
            status: m.status,
            error: m.last_error,
            created_at: m.created_at,
        })
        .collect();
    Ok(respond::set_no_store(respond::json(200, &Page { data, total, limit, offset })))
}

/// `GET /api/keys` (an admin token): the signing keys, newest first, with their status
/// and whether the JWKS publishes them; never private material.
pub async fn keys(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    if let Err(refused) = cx.admin(&req).await {
        return Ok(refused);
    }
    let (limit, offset) = paging(&query(&req)?)?;
    let page = signing_keys::key_list(&cx.store, cx.now, limit, offset).await?;
    Ok(respond::set_no_store(respond::json(200, &page)))
}

/// `POST /api/keys/rotate` (a super_admin's token; body `{"alg": …}` or none): new keys,
/// published now, signing from their `activate_at`.
pub async fn rotate_keys(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let has_body = req.headers().get("Content-Length").ok().flatten().is_some_and(|l| l.trim() != "0");
    let request: KeyRotation = if has_body { read_json(&mut req).await? } else { KeyRotation::default() };
    let started = keys::rotate(&cx.key_ring(), cx.config, &admin, &request, &cx.meta, cx.now).await?;
    // This isolate serves the new JWKS at once; others within their cache's lifetime.
    cx.forget_keys();
    Ok(respond::set_no_store(respond::json(202, &serde_json::json!({ "data": started }))))
}
