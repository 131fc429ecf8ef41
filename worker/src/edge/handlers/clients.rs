//! Client management over the admin API: registration and its management (`/register...`,
//! RFC 7591/7592 with secret rotation) and the clients list (`/api/clients...`), behind an
//! admin token (docs/api.md, "Admin and account API"). Decisions are in
//! `engine::clients::registration`.

use shared::clients::{ClientMetadata, SecretAction};
use worker::{Request, Response};

use crate::edge::adapters::env;
use crate::edge::context::Cx;
use crate::edge::limits;
use crate::edge::request::authorization;
use crate::edge::request::{paging, query, read_json, search};
use crate::edge::respond;
use crate::engine::clients::registration::open::OpenRegistrar;
use crate::engine::clients::registration::{time_param, Registrar};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// Answers about clients (their secrets among them) are never stored by a cache.
fn done(response: Response) -> Result<Response, ApiError> {
    Ok(respond::set_no_store(response))
}

/// The registration access token of RFC 7592 §3 in `Authorization: Bearer`: an opaque
/// token (an admin token is a JWT, with dots), for a self-registered client's own
/// registration (`engine::clients::registration::open`).
fn registration_token(req: &Request) -> Option<String> {
    let value = authorization(req)?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains('.')).then(|| token.to_owned())
}

/// `POST /register` (RFC 7591 §3.1). Registration writes rows and mints secrets:
/// `RATE_LIMIT_TOKEN_*` per address, counted before the token is checked. Without any
/// `Authorization`, open registration (`RATE_LIMIT_REGISTER_*` per address), if allowed.
pub async fn register(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let ip = cx.meta.ip_address.as_deref();
    // Off (the default): the admin path answers 401 with its challenge, as before.
    if authorization(&req).is_none() && cx.config.open_registration.allowed {
        let subject = rate_limit::token_subject(cx.config, ip, None, None);
        let quota = limits::limit(cx, Bucket::Register, subject, cx.config.open_registration.rate_limit).await?;
        let body: ClientMetadata = read_json(&mut req).await?;
        let registered = OpenRegistrar { rc: cx.request_context() }.register(&body).await?;
        return Ok(limits::with_quota(respond::set_no_store(respond::json(201, &registered)), quota.as_ref()));
    }
    let quota = limits::token_limit(cx, rate_limit::token_subject(cx.config, ip, None, None), None).await?;
    let admin = admin_or_refusal!(cx, req);
    let body: ClientMetadata = read_json(&mut req).await?;
    let registered = Registrar { rc: cx.request_context(), admin: &admin }.register(&body).await?;
    if body.rate_limits.is_some() {
        env::reread();
    }
    Ok(limits::with_quota(respond::set_no_store(respond::json(201, &registered)), quota.as_ref()))
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub async fn read(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    if let Some(token) = registration_token(&req) {
        return done(respond::json(200, &OpenRegistrar { rc: cx.request_context() }.read(m.param(0), &token).await?));
    }
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &Registrar { rc: cx.request_context(), admin: &admin }.read(m.param(0)).await?))
}

/// `PATCH /register/{client_id}` (RFC 7592 §2.2, the fields named).
pub async fn update(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    if let Some(token) = registration_token(&req) {
        let body: ClientMetadata = read_json(&mut req).await?;
        let open = OpenRegistrar { rc: cx.request_context() };
        return done(respond::json(200, &open.update(m.param(0), &token, &body).await?));
    }
    let admin = admin_or_refusal!(cx, req);
    let body: ClientMetadata = read_json(&mut req).await?;
    let updated = Registrar { rc: cx.request_context(), admin: &admin }.update(m.param(0), &body).await?;
    if body.rate_limits.is_some() {
        env::reread();
    }
    done(respond::json(200, &updated))
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3).
pub async fn delete(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    if let Some(token) = registration_token(&req) {
        OpenRegistrar { rc: cx.request_context() }.delete(m.param(0), &token).await?;
        return done(respond::empty(204));
    }
    let admin = admin_or_refusal!(cx, req);
    Registrar { rc: cx.request_context(), admin: &admin }.delete(m.param(0)).await?;
    done(respond::empty(204))
}

/// `POST /register/{client_id}/renew_secret`.
pub async fn renew_secret(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &Registrar { rc: cx.request_context(), admin: &admin }.renew_secret(m.param(0)).await?))
}

/// `POST /register/{client_id}/secrets {"action":"add"}`.
pub async fn add_secret(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let body: SecretAction = read_json(&mut req).await?;
    if body.action != "add" {
        return Err(ApiError::invalid("action", "the only action is `add`"));
    }
    done(respond::json(201, &Registrar { rc: cx.request_context(), admin: &admin }.add_secret(m.param(0)).await?))
}

/// `DELETE /register/{client_id}/secrets/{secret_id}`.
pub async fn remove_secret(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    Registrar { rc: cx.request_context(), admin: &admin }.remove_secret(m.param(0), m.param(1)).await?;
    done(respond::empty(204))
}

/// `POST /api/clients/{client_id}/revoke_tokens`.
pub async fn revoke_tokens(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let revoked = Registrar { rc: cx.request_context(), admin: &admin }.revoke_tokens(m.param(0)).await?;
    done(respond::json(200, &serde_json::json!({ "revoked_refresh_tokens": revoked })))
}

/// `GET /api/clients?search=&secret_expires_before=`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let (limit, offset) = paging(&params)?;
    let before = params.get("secret_expires_before").map(time_param).transpose()?;
    let registrar = Registrar { rc: cx.request_context(), admin: &admin };
    done(respond::json(200, &registrar.list(search(&params)?.as_deref(), before, limit, offset).await?))
}
