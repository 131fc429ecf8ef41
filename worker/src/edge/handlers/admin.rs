//! The admin API: the outbox and client management (`/register...`, RFC 7591/7592 with
//! secret rotation; `/api/clients...`), all behind an admin token (docs/api.md, "Admin and
//! account API"). Decisions are in `engine::clients::registration`.

use shared::account::{OutboxMail, Page};
use shared::admin::KeyRotation;
use shared::clients::{ClientMetadata, SecretAction};
use shared::codes;
use worker::{Method, Request, Response};

use crate::edge::context::Cx;
use crate::edge::limits;
use crate::edge::request::{paging, query, read_json, search};
use crate::edge::respond;
use crate::engine::admin::keys;
use crate::engine::clients::registration::{time_param, Registrar};
use crate::engine::identity::mail::MailStore;
use crate::engine::identity::rate_limit;
use crate::engine::platform::error::ApiError;
use crate::engine::tables::signing_keys;
use crate::routes::{Endpoint, Matched};

/// `GET /api/outbox?limit=&offset=` (a super_admin's token): the mail outbox, newest
/// first. Only a super_admin: in local development (`EMAIL_PROVIDER=log`) the outbox holds
/// working reset links, and any account's reset link is that account.
pub async fn outbox(cx: &Cx<'_>, req: Request) -> Result<Response, ApiError> {
    match cx.admin(&req).await {
        Err(refused) => return Ok(refused),
        Ok(admin) if !admin.is_super_admin() => {
            return Err(ApiError::Request {
                status: 403,
                code: codes::SUPER_ADMIN_REQUIRED,
                description: "only a super_admin may read the mail outbox".into(),
            })
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
pub async fn keys(cx: &Cx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Err(refused) = cx.admin(&req).await {
        return Ok(refused);
    }
    let (limit, offset) = paging(&query(&req)?)?;
    let page = signing_keys::key_list(&cx.store, cx.now, limit, offset).await?;
    Ok(respond::set_no_store(respond::json(200, &page)))
}

/// `POST /api/keys/rotate` (a super_admin's token; body `{"alg": …}` or none): new keys,
/// published now, signing from their `activate_at`.
pub async fn rotate_keys(cx: &Cx<'_>, mut req: Request) -> Result<Response, ApiError> {
    let admin = match cx.admin(&req).await {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let has_body = req.headers().get("Content-Length").ok().flatten().is_some_and(|l| l.trim() != "0");
    let request: KeyRotation = if has_body { read_json(&mut req).await? } else { KeyRotation::default() };
    let started = keys::rotate(&cx.key_ring(), cx.config, &admin, &request, &cx.meta, cx.now).await?;
    // This isolate serves the new JWKS at once; others within their cache's lifetime.
    cx.forget_keys();
    Ok(respond::set_no_store(respond::json(202, &serde_json::json!({ "data": started }))))
}

/// Answers a client-management route.
pub async fn clients(cx: &Cx<'_>, mut req: Request, matched: &Matched) -> Result<Response, ApiError> {
    let method = req.method();
    // Registration (RFC 7591) writes rows and mints secrets: RATE_LIMIT_TOKEN_* per address.
    let quota = match matched.route.endpoint {
        Endpoint::Register => {
            let ip = cx.meta.ip_address.as_deref();
            limits::token_limit(cx, rate_limit::token_subject(cx.config, ip, None, None)).await?
        }
        _ => None,
    };
    let admin = match cx.admin(&req).await {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let registrar = Registrar { rc: cx.request_context(), admin: &admin };
    let (id, secret_id) = (matched.param(0), matched.param(1));
    let response = match matched.route.endpoint {
        Endpoint::Register => {
            let body: ClientMetadata = read_json(&mut req).await?;
            respond::json(201, &registrar.register(&body).await?)
        }
        Endpoint::RegisteredClient if method == Method::Patch => {
            let body: ClientMetadata = read_json(&mut req).await?;
            respond::json(200, &registrar.update(id, &body).await?)
        }
        Endpoint::RegisteredClient if method == Method::Delete => {
            registrar.delete(id).await?;
            respond::empty(204)
        }
        Endpoint::RegisteredClient => respond::json(200, &registrar.read(id).await?),
        Endpoint::RenewSecret => respond::json(200, &registrar.renew_secret(id).await?),
        Endpoint::Secrets => {
            let body: SecretAction = read_json(&mut req).await?;
            if body.action != "add" {
                return Err(ApiError::invalid("action", "the only action is `add`"));
            }
            respond::json(201, &registrar.add_secret(id).await?)
        }
        Endpoint::Secret => {
            registrar.remove_secret(id, secret_id).await?;
            respond::empty(204)
        }
        Endpoint::RevokeTokens => {
            let revoked = registrar.revoke_tokens(id).await?;
            respond::json(200, &serde_json::json!({ "revoked_refresh_tokens": revoked }))
        }
        Endpoint::Clients => {
            let params = query(&req)?;
            let (limit, offset) = paging(&params)?;
            let before = params.get("secret_expires_before").map(time_param).transpose()?;
            respond::json(200, &registrar.list(search(&params)?.as_deref(), before, limit, offset).await?)
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(limits::with_quota(respond::set_no_store(response), quota.as_ref()))
}
