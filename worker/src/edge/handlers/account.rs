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
    ChangePassword, ConsentSummary, EmailRequest, PasswordResetComplete, Profile, ProfileUpdate, SignUpRequest,
    TokenRequest,
};
use shared::device::{DeviceDecision, UserCodeRequest};
use shared::password::{PasswordValidation, ValidatePasswordRequest};
use worker::{Method, Request, Response};

use crate::edge::adapters::{db, env, kv};
use crate::edge::context::{edge_context, Cx, EdgeKeys, EdgeVerifier};
use crate::edge::request::{check_csrf, check_origin, read_json, signed_in};
use crate::edge::respond;
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::accounts::{Accounts, Followup};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::users::User;
use crate::engine::oauth::activation::Activation;
use crate::engine::platform::error::ApiError;
use crate::routes::Endpoint;

/// `POST /api/validate-password` (docs/api.md, "Public"): the policy's verdict.
pub async fn validate_password(cx: &Cx<'_>, mut req: Request) -> Result<Response, ApiError> {
    let body: ValidatePasswordRequest = read_json(&mut req).await?;
    let errors = crate::engine::identity::password_rules::problems(cx.config, &body.password, false);
    Ok(respond::json(200, &PasswordValidation { valid: errors.is_empty(), errors }))
}

/// The calls anyone may make: sign-up, the mailed links, password reset. Sign-up, reset
/// and resend answer first and write afterwards (`ctx.waitUntil`): a known address and an
/// unknown one then answer after the same reads (engine::identity::accounts::Followup).
pub async fn anonymous(cx: &Cx<'_>, mut req: Request, endpoint: Endpoint) -> Result<Response, ApiError> {
    let config = cx.config;
    check_origin(&req, config)?;
    let flows = cx.accounts();
    let (message, followup) = match endpoint {
        Endpoint::SignUp => {
            let body: SignUpRequest = read_json(&mut req).await?;
            // The first super_admin (ADMIN_EMAIL) exists before anyone can sign up with
            // that address on a fresh deployment.
            cx.ensure_bootstrap().await?;
            // Hashing costs ~60 ms of CPU: limited like sign-ins, per address of the caller.
            if !rate_limit::exempt(config, cx.meta.ip_address.as_deref()) {
                let ip = cx.meta.ip_address.as_deref().unwrap_or("unknown");
                rate_limit::hit(&cx.kv, Bucket::Login, ip, config.rate_limits.login, cx.now).await?;
            }
            flows.sign_up_answer(&body).await?
        }
        Endpoint::VerifyEmail => {
            (flows.verify_email(&read_json::<TokenRequest>(&mut req).await?.token).await?, Followup::Nothing)
        }
        Endpoint::ResendVerification => {
            flows.resend_verification_answer(&read_json::<EmailRequest>(&mut req).await?.email).await?
        }
        Endpoint::PasswordReset => {
            flows.request_password_reset_answer(&read_json::<EmailRequest>(&mut req).await?.email).await?
        }
        Endpoint::PasswordResetComplete => (
            flows.complete_password_reset(&read_json::<PasswordResetComplete>(&mut req).await?).await?,
            Followup::Nothing,
        ),
        _ => return Err(ApiError::NotFound),
    };
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
                worker::console_error!("account follow-up failed: {e:?}");
            }
        });
    }
    let status = if endpoint == Endpoint::SignUp { 201 } else { 200 };
    Ok(respond::json(status, &message))
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

/// The calls of the account page: the session cookie says who; changes need CSRF.
pub async fn account_page(
    cx: &Cx<'_>,
    mut req: Request,
    endpoint: Endpoint,
    param: &str,
) -> Result<Response, ApiError> {
    let method = req.method();
    if !matches!(method, Method::Get | Method::Head) {
        check_csrf(&req, cx.config)?;
    }
    let (session, user) = signed_in(&req, cx, "Sign in to manage your account.").await?;
    let flows = cx.accounts();
    let response = match endpoint {
        Endpoint::Account if method == Method::Patch => {
            let update: ProfileUpdate = read_json(&mut req).await?;
            respond::json(200, &profile(&flows.update_profile(&user, &update).await?))
        }
        Endpoint::Account => respond::json(200, &profile(&user)),
        Endpoint::AccountPassword => {
            let body: ChangePassword = read_json(&mut req).await?;
            flows.change_password(&user, &session, &body).await?;
            respond::empty(204)
        }
        Endpoint::AccountSessions => respond::json(200, &flows.sessions(&user, &session).await?),
        Endpoint::AccountSession => {
            flows.end_session(&user, param).await?;
            respond::empty(204)
        }
        Endpoint::AccountConsents => {
            let consents: Vec<ConsentSummary> = cx.store.consents_of(&user.id).await?;
            respond::json(200, &consents)
        }
        Endpoint::AccountConsent => {
            flows.revoke_consent(&user, param).await?;
            respond::empty(204)
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(respond::set_no_store(response))
}

/// The activation page's calls: looking a code up needs no session (the page says "sign in
/// to continue" after it); answering needs the session and the CSRF token.
pub async fn activation(cx: &Cx<'_>, mut req: Request, endpoint: Endpoint) -> Result<Response, ApiError> {
    check_csrf(&req, cx.config)?;
    let activation = Activation { rc: cx.request_context() };
    let response = if endpoint == Endpoint::DeviceLookup {
        let body: UserCodeRequest = read_json(&mut req).await?;
        respond::json(200, &activation.lookup(&body.user_code).await?)
    } else {
        let body: DeviceDecision = read_json(&mut req).await?;
        let (session, user) = signed_in(&req, cx, "Your session has ended; sign in again.").await?;
        respond::json(200, &activation.decide(&body.user_code, body.allow, &user, &session).await?)
    };
    Ok(respond::set_no_store(response))
}
