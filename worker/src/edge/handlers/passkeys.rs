//! Passkeys' JSON calls (`/api/passkeys...`): registration and the list for a signed-in
//! browser, the sign-in ceremony for anyone (usernameless) or for the sign-in waiting for
//! its second factor (the `authority_mfa` cookie). The engine checks the ceremonies
//! (`identity::passkeys`) and starts the session (`identity::accounts::second_factor`).

use shared::passkeys::{NewPasskey, PasskeySignIn};
use shared::session::SessionInfo;
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{check_csrf, cookie, read_json, sign_in_answer, signed_in};
use crate::edge::respond;
use crate::engine::identity::mfa::challenge::{Challenge, CHALLENGE_COOKIE};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

const SIGNED_OUT: &str = "Sign in to manage your passkeys.";

/// The sign-in waiting for its second factor, if this browser has one.
fn pending(cx: &Cx<'_>, req: &Request) -> Option<Challenge> {
    cookie(req, cx.config, CHALLENGE_COOKIE).and_then(|v| Challenge::open(cx.config, &v, cx.now))
}

/// `POST /api/passkeys/sign-in/options`: for the pending sign-in's account, or any
/// discoverable passkey (usernameless).
pub async fn sign_in_options(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let pending = pending(cx, &req);
    let options = cx.passkeys().sign_in_options(pending.as_ref().map(|c| c.user_id.as_str())).await?;
    Ok(respond::json(200, &options))
}

/// `POST /api/passkeys/sign-in`: each attempt is a sign-in attempt (`RATE_LIMIT_LOGIN_*`
/// per address).
pub async fn sign_in(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (config, now) = (cx.config, cx.now);
    check_csrf(&req, config)?;
    let pending = pending(cx, &req);
    let body: PasskeySignIn = read_json(&mut req).await?;
    if !rate_limit::exempt(config, cx.meta.ip_address.as_deref()) {
        let ip = cx.meta.ip_address.as_deref().unwrap_or("unknown");
        rate_limit::hit(&cx.kv, Bucket::Login, ip, config.rate_limits.login, now).await?;
    }
    let asserted = cx.passkeys().verify_assertion(&body.credential).await?;
    let previous = cookie(&req, config, SESSION_COOKIE);
    let outcome =
        cx.accounts().finish_with_passkey(pending, &asserted.user_id, &asserted.amr, previous.as_deref()).await?;
    Ok(sign_in_answer(&req, config, outcome, now, |csrf_token, user, step| SessionInfo { csrf_token, user, step })?)
}

/// `POST /api/passkeys/register/options`.
pub async fn register_options(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    Ok(respond::json(200, &cx.passkeys().registration_options(&user).await?))
}

/// `POST /api/passkeys`: registers the passkey the browser made.
pub async fn register(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: NewPasskey = read_json(&mut req).await?;
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    Ok(respond::json(201, &cx.passkeys().register(&user, &body).await?))
}

/// `GET /api/passkeys`.
pub async fn list(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    Ok(respond::set_no_store(respond::json(200, &cx.passkeys().list(&user.id).await?)))
}

/// `DELETE /api/passkeys/{id}`.
pub async fn remove(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    if !cx.passkeys().remove(&user.id, m.param(0)).await? {
        return Err(ApiError::Missing("passkey"));
    }
    Ok(respond::empty(204))
}
