//! Passkeys' JSON calls (`/api/passkeys...`): registration and the list for a signed-in
//! browser, the sign-in ceremony for anyone (usernameless) or for the sign-in waiting for
//! its second factor (the `authority_mfa` cookie). The engine checks the ceremonies
//! (`identity::passkeys`) and starts the session (`identity::accounts::second_factor`).

use shared::passkeys::NewPasskey;
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{check_csrf, read_json, sign_in_state, signed_in};
use crate::edge::respond;
use crate::engine::identity::mail::MethodChange;
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::signin::Basis;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

const SIGNED_OUT: &str = "Sign in to manage your passkeys.";

/// `POST /api/passkeys/sign-in/options`: for the pending sign-in's account, or any
/// discoverable passkey (usernameless).
pub async fn sign_in_options(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    check_csrf(&req, config)?;
    // Anyone may ask, and each answer stores a challenge: limited per address.
    if !rate_limit::exempt(config, cx.meta.ip_address.as_deref()) {
        let ip = cx.meta.ip_address.as_deref().unwrap_or("unknown");
        rate_limit::hit(&cx.kv, Bucket::PasskeyOptions, ip, config.rate_limits.login, cx.now).await?;
    }
    let pending = match sign_in_state(&req, cx, false).await? {
        Some(Basis::Pending(pending)) => Some(pending.user_id),
        _ => None,
    };
    let options = cx.passkeys().sign_in_options(pending.as_deref()).await?;
    Ok(respond::json(200, &options))
}

/// `POST /api/passkeys/register/options`.
pub async fn register_options(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    // A new way to sign in needs a recent sign-in (docs/security.md).
    cx.accounts().require_recent_sign_in(&session, &user).await?;
    Ok(respond::json(200, &cx.passkeys().registration_options(&user).await?))
}

/// `POST /api/passkeys`: registers the passkey the browser made.
pub async fn register(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: NewPasskey = read_json(&mut req).await?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let accounts = cx.accounts();
    accounts.require_recent_sign_in(&session, &user).await?;
    let added = cx.passkeys().register(&user, &body).await?;
    accounts.notify_sign_in_method(&user, MethodChange::PasskeyAdded { name: added.name.clone() }).await?;
    Ok(respond::json(201, &added))
}

/// `GET /api/passkeys`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    Ok(respond::set_no_store(respond::json(200, &cx.passkeys().list(&user.id).await?)))
}

/// `DELETE /api/passkeys/{id}`.
pub async fn remove(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let accounts = cx.accounts();
    accounts.require_recent_sign_in(&session, &user).await?;
    if !cx.passkeys().remove(&user.id, m.param(0)).await? {
        return Err(ApiError::Missing("passkey"));
    }
    accounts.factor_removed(&session, &user, MethodChange::PasskeyRemoved).await?;
    Ok(respond::empty(204))
}
