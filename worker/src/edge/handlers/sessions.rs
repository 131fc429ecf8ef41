//! Browser sessions over the admin API (`/api/sessions...`, `/api/metrics/sessions`,
//! docs/api.md, "Admin and account API"): the engine's `admin::sessions` behind an admin token.

use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{paging, query};
use crate::edge::respond;
use crate::engine::admin::sessions::SessionAdmin;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::Form;
use crate::routes::Matched;

/// A filter parameter, trimmed; empty is absent.
fn text<'a>(params: &'a Form, name: &str) -> Option<&'a str> {
    params.get(name).map(str::trim).filter(|v| !v.is_empty())
}

/// `GET /api/sessions?user_id=&ip=`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let (limit, offset) = paging(&params)?;
    let sessions = SessionAdmin { rc: cx.request_context(), admin: &admin };
    Ok(respond::json(200, &sessions.list(text(&params, "user_id"), text(&params, "ip"), limit, offset).await?))
}

/// `DELETE /api/sessions?older_than=&ip=`, or `?all=true` (a super_admin).
pub async fn end_many(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let sessions = SessionAdmin { rc: cx.request_context(), admin: &admin };
    let (older_than, ip) = (text(&params, "older_than"), text(&params, "ip"));
    let ended = match text(&params, "all") {
        None => sessions.end_many(older_than, ip).await?,
        Some("true") if older_than.is_none() && ip.is_none() => sessions.end_all().await?,
        Some("true") => {
            return Err(ApiError::invalid("all", "all=true ends every session: leave out older_than and ip"))
        }
        Some(_) => return Err(ApiError::invalid("all", "must be `true`")),
    };
    Ok(respond::json(200, &ended))
}

/// `DELETE /api/sessions/{id}`.
pub async fn end(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    SessionAdmin { rc: cx.request_context(), admin: &admin }.end(m.param(0)).await?;
    Ok(respond::empty(204))
}

/// `GET /api/metrics/sessions`.
pub async fn metrics(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    Ok(respond::json(200, &SessionAdmin { rc: cx.request_context(), admin: &admin }.metrics().await?))
}
