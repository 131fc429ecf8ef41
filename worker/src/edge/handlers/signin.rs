//! The steps of a browser sign-in (docs/architecture.md, "Sign-in has one home"): each
//! route reads its proof, and [`step`] does the rest: the state this browser holds
//! (`request::sign_in_state`), the engine's `Accounts::advance`, and the answer that
//! sets the session cookie or the pending one (`request::sign_in_answer`).

use shared::mfa::{MfaCode, NewPassword};
use shared::passkeys::PasskeySignIn;
use shared::session::{SessionInfo, SignInRequest};
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::request::{check_csrf, cookie, read_json, sign_in_answer, sign_in_state};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::identity::signin::Proof;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// Advances this browser's sign-in with `proof` and answers the next step or the session.
/// `or_session`: a code may step up the session when no sign-in is pending.
async fn step(cx: &Cx<'_>, req: &Request, proof: Proof<'_>, or_session: bool) -> Result<Response, ApiError> {
    let state = sign_in_state(req, cx, or_session).await?;
    let previous = cookie(req, cx.config, SESSION_COOKIE);
    let outcome = cx.accounts().advance(state, proof, previous.as_deref()).await?;
    Ok(sign_in_answer(req, cx.config, outcome, cx.now, |csrf_token, user, step| SessionInfo {
        csrf_token,
        user,
        step,
    })?)
}

/// `POST /api/session {"email", "password"}`: signs in; or, when a second factor or a
/// password change comes first, sets only the pending sign-in and says which step.
pub async fn password(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: SignInRequest = read_json(&mut req).await?;
    cx.ensure_bootstrap().await?;
    step(cx, &req, Proof::Password { email: &body.email, password: &body.password }, false).await
}

/// `POST /api/mfa/verify {"code"}`: the second step of the pending sign-in, or a step-up
/// of this browser's session.
pub async fn code(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: MfaCode = read_json(&mut req).await?;
    step(cx, &req, Proof::Code(&body.code), true).await
}

/// `POST /api/passkeys/sign-in`: each attempt is a sign-in attempt (`RATE_LIMIT_LOGIN_*`
/// per address); the assertion is verified (`identity::passkeys`), then it is the first
/// factor of a usernameless sign-in or the second of the pending one.
pub async fn passkey(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    check_csrf(&req, config)?;
    let body: PasskeySignIn = read_json(&mut req).await?;
    if !rate_limit::exempt(config, cx.meta.ip_address.as_deref()) {
        let ip = cx.meta.ip_address.as_deref().unwrap_or("unknown");
        rate_limit::hit(&cx.kv, Bucket::Login, ip, config.rate_limits.login, cx.now).await?;
    }
    let asserted = cx.passkeys().verify_assertion(&body.credential).await?;
    step(cx, &req, Proof::Passkey { user_id: &asserted.user_id, methods: &asserted.amr }, false).await
}

/// `POST /api/password/expired {"new_password"}`: the new password of a sign-in whose
/// password expired; then the sign-in completes.
pub async fn new_password(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: NewPassword = read_json(&mut req).await?;
    step(cx, &req, Proof::NewPassword(&body.new_password), false).await
}
