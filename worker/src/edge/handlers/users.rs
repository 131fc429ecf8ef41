//! The admin API on user accounts (`/api/users...`, docs/api.md, "Admin and account API"),
//! behind an admin token. Decisions, including the role hierarchy, are in
//! `engine::admin::users`.

use serde_json::json;
use shared::admin::{NewUser, UserPatch};
use worker::{Method, Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{paging, query, read_json, search};
use crate::edge::respond;
use crate::engine::admin::users::UserFilter;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::Form;
use crate::routes::{Endpoint, Matched};

/// `true`/`false` of a filter parameter.
fn flag(params: &Form, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(name, "must be true or false")),
    }
}

/// Answers a `/api/users` route.
pub async fn users(cx: &Cx<'_>, mut req: Request, matched: &Matched) -> Result<Response, ApiError> {
    let admin = match cx.admin(&req).await {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let users = cx.user_admin(&admin);
    let id = matched.param(0);
    let method = req.method();
    let response = match matched.route.endpoint {
        Endpoint::Users if method == Method::Post => {
            let body: NewUser = read_json(&mut req).await?;
            respond::json(201, &users.create(&body).await?)
        }
        Endpoint::Users => {
            let params = query(&req)?;
            let (limit, offset) = paging(&params)?;
            let filter = UserFilter {
                search: search(&params)?,
                role: params.get("role").map(str::to_owned),
                active: flag(&params, "active")?,
                locked: flag(&params, "locked")?,
                mfa: flag(&params, "mfa")?,
            };
            respond::json(200, &users.list(&filter, limit, offset).await?)
        }
        Endpoint::User if method == Method::Patch => {
            let body: UserPatch = read_json(&mut req).await?;
            respond::json(200, &users.update(id, &body).await?)
        }
        Endpoint::User if method == Method::Delete => {
            users.delete(id).await?;
            respond::empty(204)
        }
        Endpoint::User => respond::json(200, &users.get(id).await?),
        Endpoint::UnlockUser => {
            users.unlock(id).await?;
            respond::empty(204)
        }
        Endpoint::UserPasswordReset => {
            users.send_password_reset(id).await?;
            respond::json(202, &json!({ "message": "A password reset link was sent." }))
        }
        Endpoint::UserSessions if method == Method::Delete => {
            respond::json(200, &json!({ "ended_sessions": users.end_sessions(id).await? }))
        }
        Endpoint::UserSessions => respond::json(200, &json!({ "data": users.sessions(id).await? })),
        Endpoint::UserPasswordStatus => respond::json(200, &users.password_status(id).await?),
        Endpoint::UserConsents => respond::json(200, &users.consents(id).await?),
        Endpoint::UserMfa => {
            users.reset_mfa(id).await?;
            respond::empty(204)
        }
        Endpoint::UserIdentities => respond::json(200, &json!({ "data": users.identities(id).await? })),
        Endpoint::UserProviderTokens => {
            respond::json(200, &json!({ "tokens": users.provider_tokens(id, matched.param(1)).await? }))
        }
        Endpoint::UserConsent => {
            users.revoke_consent(id, matched.param(1)).await?;
            respond::empty(204)
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(respond::set_no_store(response))
}
