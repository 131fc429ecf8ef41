//! Scopes over the admin API (`/api/scopes...`, docs/api.md, "Admin and account API"):
//! the engine's `admin::scopes` behind an admin token. A change clears this isolate's
//! discovery document, which lists the scopes (others rebuild theirs within a minute).

use shared::scopes::{NewScope, ScopePatch};
use worker::{Request, Response};

use crate::edge::context::{Cx, DISCOVERY_BODY};
use crate::edge::request::{paging, query, read_json};
use crate::edge::respond;
use crate::engine::admin::scopes::ScopeAdmin;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

fn changed(response: Response) -> Result<Response, ApiError> {
    DISCOVERY_BODY.with(|c| c.borrow_mut().clear());
    Ok(response)
}

/// `GET /api/scopes`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let (limit, offset) = paging(&query(&req)?)?;
    Ok(respond::json(200, &ScopeAdmin { rc: cx.request_context(), admin: &admin }.list(limit, offset).await?))
}

/// `POST /api/scopes`.
pub async fn create(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let scopes = ScopeAdmin { rc: cx.request_context(), admin: &admin };
    changed(respond::json(201, &scopes.create(&read_json::<NewScope>(&mut req).await?).await?))
}

/// `GET /api/scopes/{id}`.
pub async fn get(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    Ok(respond::json(200, &ScopeAdmin { rc: cx.request_context(), admin: &admin }.get(m.param(0)).await?))
}

/// `PATCH /api/scopes/{id}`.
pub async fn update(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let scopes = ScopeAdmin { rc: cx.request_context(), admin: &admin };
    changed(respond::json(200, &scopes.update(m.param(0), &read_json::<ScopePatch>(&mut req).await?).await?))
}

/// `DELETE /api/scopes/{id}?force=true|false`.
pub async fn delete(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let force = match query(&req)?.get("force") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("force", "must be true or false")),
    };
    ScopeAdmin { rc: cx.request_context(), admin: &admin }.delete(m.param(0), force).await?;
    changed(respond::empty(204))
}
