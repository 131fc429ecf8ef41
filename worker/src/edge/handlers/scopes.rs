//! Scopes over the admin API (`/api/scopes...`, docs/api.md, "Admin and account API"):
//! the engine's `admin::scopes` behind an admin token.

use shared::scopes::{NewScope, ScopePatch};
use worker::{Method, Request, Response};

use crate::edge::context::{Cx, DISCOVERY_BODY};
use crate::edge::request::{paging, query, read_json};
use crate::edge::respond;
use crate::engine::admin::scopes::ScopeAdmin;
use crate::engine::platform::error::ApiError;
use crate::routes::{Endpoint, Matched};

/// Answers a `/api/scopes` route.
pub async fn scopes(cx: &Cx<'_>, mut req: Request, matched: &Matched) -> Result<Response, ApiError> {
    let admin = match cx.admin(&req).await {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let scopes = ScopeAdmin { rc: cx.request_context(), admin: &admin };
    let id = matched.param(0);
    let method = req.method();
    let changes = method != Method::Get && method != Method::Head;
    let response = match matched.route.endpoint {
        Endpoint::Scopes if method == Method::Post => {
            respond::json(201, &scopes.create(&read_json::<NewScope>(&mut req).await?).await?)
        }
        Endpoint::Scopes => {
            let (limit, offset) = paging(&query(&req)?)?;
            respond::json(200, &scopes.list(limit, offset).await?)
        }
        Endpoint::Scope if method == Method::Patch => {
            respond::json(200, &scopes.update(id, &read_json::<ScopePatch>(&mut req).await?).await?)
        }
        Endpoint::Scope if method == Method::Delete => {
            let force = match query(&req)?.get("force") {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => return Err(ApiError::invalid("force", "must be true or false")),
            };
            scopes.delete(id, force).await?;
            respond::empty(204)
        }
        Endpoint::Scope => respond::json(200, &scopes.get(id).await?),
        _ => return Err(ApiError::NotFound),
    };
    if changes {
        // Discovery lists the scopes: this isolate rebuilds it at once (others within
        // their cache's minute).
        DISCOVERY_BODY.with(|c| c.borrow_mut().clear());
    }
    Ok(response)
}
