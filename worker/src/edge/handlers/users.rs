//! The admin API on user accounts (`/api/users...`, docs/api.md, "Admin and account API"),
//! behind an admin token. Decisions, including the role hierarchy, are in
//! `engine::admin::users`.

use serde_json::json;
use shared::admin::{NewUser, UserPatch};
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{paging, query, read_json, search};
use crate::edge::respond;
use crate::engine::admin::users::UserFilter;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::Form;
use crate::routes::Matched;

/// `true`/`false` of a filter parameter.
fn flag(params: &Form, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(name, "must be true or false")),
    }
}

/// `GET /api/users?search=&role=&active=&locked=&mfa=`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let params = query(&req)?;
    let (limit, offset) = paging(&params)?;
    let filter = UserFilter {
        search: search(&params)?,
        role: params.get("role").map(str::to_owned),
        active: flag(&params, "active")?,
        locked: flag(&params, "locked")?,
        mfa: flag(&params, "mfa")?,
    };
    done(respond::json(200, &cx.user_admin(&admin).list(&filter, limit, offset).await?))
}

/// `POST /api/users`.
pub async fn create(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let body: NewUser = read_json(&mut req).await?;
    done(respond::json(201, &cx.user_admin(&admin).create(&body).await?))
}

/// `GET /api/users/{id}`.
pub async fn get(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &cx.user_admin(&admin).get(m.param(0)).await?))
}

/// `PATCH /api/users/{id}`.
pub async fn update(cx: &Cx<'_>, mut req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let body: UserPatch = read_json(&mut req).await?;
    done(respond::json(200, &cx.user_admin(&admin).update(m.param(0), &body).await?))
}

/// `DELETE /api/users/{id}`.
pub async fn delete(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    cx.user_admin(&admin).delete(m.param(0)).await?;
    done(respond::empty(204))
}

/// `POST /api/users/{id}/unlock`.
pub async fn unlock(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    cx.user_admin(&admin).unlock(m.param(0)).await?;
    done(respond::empty(204))
}

/// `POST /api/users/{id}/send-password-reset`.
pub async fn send_password_reset(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    cx.user_admin(&admin).send_password_reset(m.param(0)).await?;
    done(respond::json(202, &json!({ "message": "A password reset link was sent." })))
}

/// `GET /api/users/{id}/sessions`.
pub async fn sessions(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &json!({ "data": cx.user_admin(&admin).sessions(m.param(0)).await? })))
}

/// `DELETE /api/users/{id}/sessions`.
pub async fn end_sessions(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &json!({ "ended_sessions": cx.user_admin(&admin).end_sessions(m.param(0)).await? })))
}

/// `GET /api/users/{id}/password-status`.
pub async fn password_status(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &cx.user_admin(&admin).password_status(m.param(0)).await?))
}

/// `GET /api/users/{id}/consents`.
pub async fn consents(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &cx.user_admin(&admin).consents(m.param(0)).await?))
}

/// `DELETE /api/users/{id}/consents/{client_id}`.
pub async fn revoke_consent(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    cx.user_admin(&admin).revoke_consent(m.param(0), m.param(1)).await?;
    done(respond::empty(204))
}

/// `DELETE /api/users/{id}/mfa`.
pub async fn reset_mfa(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    cx.user_admin(&admin).reset_mfa(m.param(0)).await?;
    done(respond::empty(204))
}

/// `GET /api/users/{id}/identities`.
pub async fn identities(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    done(respond::json(200, &json!({ "data": cx.user_admin(&admin).identities(m.param(0)).await? })))
}

/// `GET /api/users/{id}/identities/{provider}/tokens`.
pub async fn provider_tokens(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    let admin = admin_or_refusal!(cx, req);
    let tokens = cx.user_admin(&admin).provider_tokens(m.param(0), m.param(1)).await?;
    done(respond::json(200, &json!({ "tokens": tokens })))
}

/// Answers about accounts are never stored by a cache.
fn done(response: Response) -> Result<Response, ApiError> {
    Ok(respond::set_no_store(response))
}
