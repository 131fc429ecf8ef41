//! The self-service JSON API: sign-up, verification, password reset, the account page,
//! and the device activation screen's calls (RFC 8628 §3.3). Decisions are in
//! `engine::identity::accounts` and `engine::oauth::activation`; this reads bodies and
//! cookies.
//!
//! CSRF: calls that act on the browser's session (`/api/account/...`) need the
//! double-submit token like every session call. The anonymous ones (sign-up, the mailed
//! links, password reset) grant nothing through cookies; they are refused only when a
//! browser says it comes from another origin, so scripts can call them (docs/api.md,
//! "Admin and account API").

use shared::account::{
    ChangePassword, ConfirmIdentity, ConsentSummary, EmailRequest, PasswordResetComplete, Profile, ProfileUpdate,
    ResetRemoval, SignUpRequest, TokenRequest,
};
use shared::device::{DeviceDecision, UserCodeRequest};
use shared::password::{PasswordValidation, ValidatePasswordRequest};
use shared::session::SessionInfo;
use worker::{Request, Response};

use crate::edge::adapters::{db, env, kv};
use crate::edge::context::{edge_context, Cx, EdgeKeys, EdgeVerifier};
use crate::edge::request::{check_csrf, check_origin, cookie, read_json, sign_in_answer, signed_in};
use crate::edge::respond;
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::accounts::{Accounts, Followup};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::SESSION_COOKIE;
use crate::engine::identity::signin::SignInOutcome;
use crate::engine::identity::users::User;
use crate::engine::oauth::activation::Activation;
use crate::engine::platform::error::ApiError;
use crate::routes::Matched;

/// `POST /api/validate-password` (docs/api.md, "Public"): the policy's verdict.
pub async fn validate_password(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let body: ValidatePasswordRequest = read_json(&mut req).await?;
    let errors = crate::engine::identity::password_rules::problems(cx.config, &body.password, false);
    Ok(respond::json(200, &PasswordValidation { valid: errors.is_empty(), errors }))
}

/// The calls anyone may make answer with a message; sign-up, reset and resend answer
/// first and write afterwards (`ctx.waitUntil`), so a known address and an unknown one
/// answer after the same reads (engine::identity::accounts::Followup).
fn answered<T: serde::Serialize>(cx: &Cx<'_>, status: u16, (message, followup): (T, Followup)) -> Response {
    if followup != Followup::Nothing {
        // The follow-up outlives this request: it builds its own view of the platform.
        let (env, meta, now_ms) = (cx.env.clone(), cx.meta.clone(), cx.now_ms);
        cx.worker.wait_until(async move {
            let done = async {
                let config = env::config(&env, None).await.map_err(ApiError::from)?;
                let (store, kv) = (db(&env)?, kv(&env)?);
                let keys = EdgeKeys::new(db(&env)?, &config, now_ms.div_euclid(1000));
                let verifier = EdgeVerifier::new(db(&env)?, now_ms.div_euclid(1000));
                let flows = Accounts { rc: edge_context(&config, &store, &kv, &keys, &verifier, &meta, now_ms) };
                flows.follow_up(followup).await
            };
            if let Err(e) = done.await {
                log::error!("account follow-up failed: {e:?}");
            }
        });
    }
    respond::json(status, &message)
}

/// `POST /api/signup`. Hashing costs ~60 ms of CPU: limited like sign-ins, per address
/// of the caller.
pub async fn sign_up(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    check_origin(&req, config)?;
    let body: SignUpRequest = read_json(&mut req).await?;
    // The first super_admin (ADMIN_EMAIL) exists before anyone can sign up with that
    // address on a fresh deployment.
    cx.ensure_bootstrap().await?;
    if !rate_limit::exempt(config, cx.meta.ip_address.as_deref()) {
        let ip = cx.meta.ip_address.as_deref().unwrap_or("unknown");
        rate_limit::hit(&cx.kv, Bucket::Login, ip, config.rate_limits.login, cx.now).await?;
    }
    Ok(answered(cx, 201, cx.accounts().sign_up_answer(&body).await?))
}

/// `POST /api/verify-email {"token"}`.
pub async fn verify_email(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_origin(&req, cx.config)?;
    let token = read_json::<TokenRequest>(&mut req).await?.token;
    Ok(answered(cx, 200, (cx.accounts().verify_email(&token).await?, Followup::Nothing)))
}

/// `POST /api/verify-email/resend {"email"}`.
pub async fn resend_verification(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_origin(&req, cx.config)?;
    let email = read_json::<EmailRequest>(&mut req).await?.email;
    Ok(answered(cx, 200, cx.accounts().resend_verification_answer(&email).await?))
}

/// `POST /api/password-reset {"email"}`.
pub async fn password_reset(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_origin(&req, cx.config)?;
    let email = read_json::<EmailRequest>(&mut req).await?.email;
    Ok(answered(cx, 200, cx.accounts().request_password_reset_answer(&email).await?))
}

/// `POST /api/password-reset/complete {"token", "password"}`.
pub async fn password_reset_complete(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_origin(&req, cx.config)?;
    let body: PasswordResetComplete = read_json(&mut req).await?;
    Ok(answered(cx, 200, (cx.accounts().complete_password_reset(&body).await?, Followup::Nothing)))
}

/// `POST /api/password-reset/review {"grant", "passkeys", "providers"}`: after a reset,
/// the ways in the person does not recognise go (the grant is the reset's answer's).
pub async fn password_reset_review(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_origin(&req, cx.config)?;
    let body: ResetRemoval = read_json(&mut req).await?;
    cx.accounts().remove_after_reset(&body).await?;
    done(respond::empty(204))
}

fn profile(user: &User) -> Profile {
    Profile {
        id: user.id.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        name: user.name.clone(),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        locale: user.locale.clone(),
        role: user.role.as_str().into(),
        created_at: user.created_at,
    }
}

const SIGNED_OUT: &str = "Sign in to manage your account.";

/// The account page's answers are never stored by a cache.
fn done(response: Response) -> Result<Response, ApiError> {
    Ok(respond::set_no_store(response))
}

/// `GET /api/account`.
pub async fn account(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    done(respond::json(200, &profile(&user)))
}

/// `PATCH /api/account`: the profile.
pub async fn update_account(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let update: ProfileUpdate = read_json(&mut req).await?;
    done(respond::json(200, &profile(&cx.accounts().update_profile(&user, &update).await?)))
}

/// `POST /api/account/password`.
pub async fn change_password(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let body: ChangePassword = read_json(&mut req).await?;
    cx.accounts().change_password(&user, &session, &body).await?;
    done(respond::empty(204))
}

/// `POST /api/account/confirm`: a fresh sign-in (password, and code when the account has
/// one) before a change to how one signs in; a new session replaces this one.
pub async fn confirm_identity(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    check_csrf(&req, config)?;
    let previous = cookie(&req, config, SESSION_COOKIE);
    let body: ConfirmIdentity = read_json(&mut req).await?;
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let signed = cx
        .accounts()
        .confirm_identity(&session, &user, &body.password, body.code.as_deref(), previous.as_deref())
        .await?;
    let outcome = SignInOutcome::SignedIn(Box::new(signed), None);
    Ok(sign_in_answer(&req, config, outcome, cx.now, |csrf_token, user, step| SessionInfo { csrf_token, user, step })?)
}

/// `GET /api/account/sessions`: this account's browsers.
pub async fn sessions(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (session, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    done(respond::json(200, &cx.accounts().sessions(&user, &session).await?))
}

/// `DELETE /api/account/sessions/{id}`.
pub async fn end_session(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    cx.accounts().end_session(&user, m.param(0)).await?;
    done(respond::empty(204))
}

/// `GET /api/account/consents`: the apps this account allowed.
pub async fn consents(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    let consents: Vec<ConsentSummary> = cx.store.consents_of(&user.id).await?;
    done(respond::json(200, &consents))
}

/// `DELETE /api/account/consents/{client_id}`.
pub async fn revoke_consent(cx: &Cx<'_>, req: Request, m: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let (_, user) = signed_in(&req, cx, SIGNED_OUT).await?;
    cx.accounts().revoke_consent(&user, m.param(0)).await?;
    done(respond::empty(204))
}

/// `POST /api/device/lookup {"user_code"}`: what the code asks; no session needed (the
/// page says "sign in to continue" after it).
pub async fn device_lookup(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: UserCodeRequest = read_json(&mut req).await?;
    done(respond::json(200, &Activation { rc: cx.request_context() }.lookup(&body.user_code).await?))
}

/// `POST /api/device/decision {"user_code", "allow"}`: the signed-in person's answer.
pub async fn device_decision(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let body: DeviceDecision = read_json(&mut req).await?;
    let (session, user) = signed_in(&req, cx, "Your session has ended; sign in again.").await?;
    let activation = Activation { rc: cx.request_context() };
    done(respond::json(200, &activation.decide(&body.user_code, body.allow, &user, &session).await?))
}
