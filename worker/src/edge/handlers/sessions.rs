//! Browser sessions over the admin API (`/api/sessions...`, `/api/metrics/sessions`,
//! docs/api.md, "Admin and account API"): the engine's `admin::sessions` behind an admin token.

use worker::{Method, Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{paging, query};
use crate::edge::respond;
use crate::engine::admin::sessions::SessionAdmin;
use crate::engine::platform::error::ApiError;
use crate::routes::{Endpoint, Matched};

/// Answers a `/api/sessions` or `/api/metrics/sessions` route.
pub async fn sessions(cx: &Cx<'_>, req: Request, matched: &Matched) -> Result<Response, ApiError> {
    let admin = match cx.admin(&req).await {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let sessions = SessionAdmin { rc: cx.request_context(), admin: &admin };
    let params = query(&req)?;
    let text = |name: &str| params.get(name).map(str::trim).filter(|v| !v.is_empty());
    Ok(match matched.route.endpoint {
        Endpoint::Sessions if req.method() == Method::Delete => {
            respond::json(200, &sessions.end_many(text("older_than"), text("ip")).await?)
        }
        Endpoint::Sessions => {
            let (limit, offset) = paging(&params)?;
            respond::json(200, &sessions.list(text("user_id"), text("ip"), limit, offset).await?)
        }
        Endpoint::AdminSession => {
            sessions.end(matched.param(0)).await?;
            respond::empty(204)
        }
        Endpoint::SessionMetrics => respond::json(200, &sessions.metrics().await?),
        _ => return Err(ApiError::NotFound),
    })
}
