//! Passkeys' JSON calls (`/api/passkeys...`): registration and the list for a signed-in
//! browser, the sign-in ceremony for anyone (usernameless) or for the sign-in waiting for
//! its second factor (the `authority_mfa` cookie). The engine checks the ceremonies
//! (`identity::passkeys`) and starts the session (`identity::accounts::second_factor`).

use shared::passkeys::{NewPasskey, PasskeySignIn};
use shared::session::SessionInfo;
use worker::{Method, Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{check_csrf, cookie, read_json, sign_in_answer, signed_in};
use crate::edge::respond;
use crate::engine::identity::mfa::challenge::{Challenge, CHALLENGE_COOKIE};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::platform::error::ApiError;
use crate::routes::{Endpoint, Matched};

const SIGNED_OUT: &str = "Sign in to manage your passkeys.";

/// `GET|POST /api/passkeys`, `DELETE /api/passkeys/{id}`, `POST /api/passkeys/register/options`,
/// `POST /api/passkeys/sign-in/options`, `POST /api/passkeys/sign-in`.
pub async fn passkeys(cx: &Cx<'_>, mut req: Request, matched: &Matched) -> Result<Response, ApiError> {
    let (config, now) = (cx.config, cx.now);
    let ceremonies = cx.passkeys();
    let endpoint = matched.route.endpoint;
    if req.method() != Method::Get && req.method() != Method::Head {
        check_csrf(&req, config)?;
    }
    // The sign-in waiting for its second factor, if this browser has one.
    let pending = cookie(&req, config, CHALLENGE_COOKIE).and_then(|v| Challenge::open(config, &v, now));
    match endpoint {
        Endpoint::PasskeySignInOptions => {
            let options = ceremonies.sign_in_options(pending.as_ref().map(|c| c.user_id.as_str())).await?;
            Ok(respond::json(200, &options))
        }
        Endpoint::PasskeySignIn => {
            let body: PasskeySignIn = read_json(&mut req).await?;
            // Each attempt is a sign-in attempt: RATE_LIMIT_LOGIN_* per address.
            let ip = cx.meta.ip_address.as_deref().unwrap_or("unknown");
            if !rate_limit::exempt(config, cx.meta.ip_address.as_deref()) {
                rate_limit::hit(&cx.kv, Bucket::Login, ip, config.rate_limits.login, now).await?;
            }
            let asserted = ceremonies.verify_assertion(&body.credential).await?;
            let previous = cookie(&req, config, SESSION_COOKIE);
            let outcome = cx
                .accounts()
                .finish_with_passkey(pending, &asserted.user_id, &asserted.amr, previous.as_deref())
                .await?;
            Ok(sign_in_answer(&req, config, outcome, now, |csrf_token, user, step| SessionInfo {
                csrf_token,
                user,
                step,
            })?)
        }
        Endpoint::PasskeyRegisterOptions => {
            let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
            Ok(respond::json(200, &ceremonies.registration_options(&user).await?))
        }
        Endpoint::Passkey => {
            let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
            if !ceremonies.remove(&user.id, matched.param(0)).await? {
                return Err(ApiError::Missing("passkey"));
            }
            Ok(respond::empty(204))
        }
        _ if req.method() == Method::Post => {
            let body: NewPasskey = read_json(&mut req).await?;
            let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
            Ok(respond::json(201, &ceremonies.register(&user, &body).await?))
        }
        _ => {
            let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
            Ok(respond::set_no_store(respond::json(200, &ceremonies.list(&user.id).await?)))
        }
    }
}
