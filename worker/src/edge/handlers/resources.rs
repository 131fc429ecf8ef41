//! Protected resources over the admin API (`/api/resources...`, docs/api.md,
//! "Resources"): the engine's `admin::resources` behind an admin token.

use shared::resources::{NewResource, ResourcePatch};
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{paging, query, read_json};
use crate::edge::respond;
use crate::engine::admin::resources::ResourceAdmin;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// `GET /api/resources`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let (limit, offset) = paging(&query(&req)?)?;
    Ok(respond::json(200, &ResourceAdmin { rc: cx.request_context(), admin: &admin }.list(limit, offset).await?))
}

/// `POST /api/resources`.
pub async fn create(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let resources = ResourceAdmin { rc: cx.request_context(), admin: &admin };
    Ok(respond::json(201, &resources.create(&read_json::<NewResource>(&mut req).await?).await?))
}

/// `GET /api/resources/{id}`.
pub async fn get(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    Ok(respond::json(200, &ResourceAdmin { rc: cx.request_context(), admin: &admin }.get(m.param(0)).await?))
}

/// `PATCH /api/resources/{id}`.
pub async fn update(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let resources = ResourceAdmin { rc: cx.request_context(), admin: &admin };
    Ok(respond::json(200, &resources.update(m.param(0), &read_json::<ResourcePatch>(&mut req).await?).await?))
}

/// `DELETE /api/resources/{id}`.
pub async fn delete(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    ResourceAdmin { rc: cx.request_context(), admin: &admin }.delete(m.param(0)).await?;
    Ok(respond::empty(204))
}
