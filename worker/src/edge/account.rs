//! The self-service JSON API (sign-up, verification, password reset, the account page)
//! and the admin's outbox. Decisions are in `engine::accounts`; this reads bodies,
//! cookies and the Bearer header.
//!
//! CSRF: calls that act on the browser's session (`/api/account/...`) need the
//! double-submit token like every session call. The anonymous ones (sign-up, the mailed
//! links, password reset) grant nothing through cookies; they are refused only when a
//! browser says it comes from another origin, so scripts can call them as the seed shows.

use shared::account::{
    ChangePassword, ConsentSummary, EmailRequest, OutboxMail, Page, PasswordResetComplete, Profile, ProfileUpdate,
    SignUpRequest, TokenRequest,
};
use shared::device::{DeviceDecision, UserCodeRequest};
use shared::password::{PasswordValidation, ValidatePasswordRequest};
use wasm_bindgen::JsValue;
use worker::{Context, Env, Fetch, Headers, Method, Request, RequestInit, Response};

use super::admin_api::{paging, query, require_admin};
use super::browser::{check_csrf, check_origin, current, read_json};
use super::d1::D1Store;
use super::kv::Kv;
use super::respond;
use super::router::{db, kv, now, request_meta};
use crate::engine::identity::accounts::store::AccountStore;
use crate::engine::identity::accounts::{Accounts, Followup};
use crate::engine::identity::mail::{MailStore, MailTransport};
use crate::engine::identity::users::User;
use crate::engine::oauth::activation::Activation;
use crate::engine::ops::audit::RequestMeta;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::decode_path_segment;
use crate::engine::platform::ports::{SystemRandom, UnixTime};

/// The paths this module answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRoute {
    SignUp,
    VerifyEmail,
    ResendVerification,
    PasswordReset,
    PasswordResetComplete,
    ValidatePassword,
    Account,
    Password,
    Sessions,
    Session(String),
    Consents,
    Consent(String),
    Outbox,
    /// `/api/device/lookup` and `/api/device/decision`: the activation page (RFC 8628 §3.3).
    DeviceLookup,
    DeviceDecision,
}

impl AccountRoute {
    pub fn of(path: &str) -> Option<AccountRoute> {
        let one_segment = |rest: &str| (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_owned());
        Some(match path {
            "/api/signup" => AccountRoute::SignUp,
            "/api/verify-email" => AccountRoute::VerifyEmail,
            "/api/verify-email/resend" => AccountRoute::ResendVerification,
            "/api/password-reset" => AccountRoute::PasswordReset,
            "/api/password-reset/complete" => AccountRoute::PasswordResetComplete,
            "/api/validate-password" => AccountRoute::ValidatePassword,
            "/api/account" => AccountRoute::Account,
            "/api/account/password" => AccountRoute::Password,
            "/api/account/sessions" => AccountRoute::Sessions,
            "/api/account/consents" => AccountRoute::Consents,
            "/api/outbox" => AccountRoute::Outbox,
            "/api/device/lookup" => AccountRoute::DeviceLookup,
            "/api/device/decision" => AccountRoute::DeviceDecision,
            other => {
                if let Some(id) = other.strip_prefix("/api/account/sessions/").and_then(one_segment) {
                    AccountRoute::Session(id)
                } else if let Some(id) = other.strip_prefix("/api/account/consents/").and_then(one_segment) {
                    AccountRoute::Consent(decode_path_segment(&id)?)
                } else {
                    return None;
                }
            }
        })
    }

    /// The `Allow` value: the methods this path answers.
    fn allow(&self) -> &'static str {
        match self {
            AccountRoute::Account => "GET, HEAD, PATCH",
            AccountRoute::Sessions | AccountRoute::Consents | AccountRoute::Outbox => "GET, HEAD",
            AccountRoute::Session(_) | AccountRoute::Consent(_) => "DELETE",
            _ => "POST",
        }
    }

    fn accepts(&self, method: &Method) -> bool {
        let read = matches!(method, Method::Get | Method::Head);
        match self {
            AccountRoute::Account => read || *method == Method::Patch,
            AccountRoute::Sessions | AccountRoute::Consents | AccountRoute::Outbox => read,
            AccountRoute::Session(_) | AccountRoute::Consent(_) => *method == Method::Delete,
            _ => *method == Method::Post,
        }
    }
}

/// POSTs mail as JSON to the provider (`EMAIL_PROVIDER=http`).
struct FetchMail;

impl MailTransport for FetchMail {
    async fn post_json(&self, url: &str, api_key: &str, body: &str) -> Result<(), String> {
        let headers = Headers::new();
        headers.set("Content-Type", "application/json").map_err(|e| e.to_string())?;
        headers.set("Authorization", &format!("Bearer {api_key}")).map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(body)));
        let request = Request::new_with_init(url, &init).map_err(|e| format!("request: {e}"))?;
        let response = Fetch::Request(request).send().await.map_err(|e| format!("fetch {url}: {e}"))?;
        match response.status_code() {
            200..=299 => Ok(()),
            status => Err(format!("{url} answered HTTP {status}")),
        }
    }
}

/// The mailer for the engine, for the sign-in handler's new-login notice.
pub(super) fn accounts<'a>(
    config: &'a Config,
    store: &'a D1Store,
    kv: &'a Kv,
    meta: &'a RequestMeta,
    now: UnixTime,
) -> Accounts<'a, D1Store, Kv, impl MailTransport + 'a, SystemRandom> {
    Accounts { config, store, kv, mail: &FetchMail, rng: &SystemRandom, meta, now }
}

/// Answers an account route (the router checked the path, not the method).
pub async fn handle(
    route: AccountRoute,
    req: Request,
    config: &Config,
    env: &Env,
    ctx: &Context,
) -> Result<Response, ApiError> {
    let method = req.method();
    if !route.accepts(&method) {
        return Err(ApiError::MethodNotAllowed { allow: route.allow() });
    }
    match route {
        AccountRoute::ValidatePassword => validate_password(req, config).await,
        AccountRoute::Outbox => outbox(req, config, env).await,
        AccountRoute::DeviceLookup | AccountRoute::DeviceDecision => activate(route, req, config, env).await,
        AccountRoute::SignUp
        | AccountRoute::VerifyEmail
        | AccountRoute::ResendVerification
        | AccountRoute::PasswordReset
        | AccountRoute::PasswordResetComplete => anonymous(route, req, config, env, ctx).await,
        _ => signed_in(route, req, config, env).await,
    }
}

/// `POST /api/validate-password` (contract "Public"): the policy's verdict.
async fn validate_password(mut req: Request, config: &Config) -> Result<Response, ApiError> {
    let body: ValidatePasswordRequest = read_json(&mut req).await?;
    let errors = config.security.password_policy.errors(&body.password);
    Ok(respond::json(200, &PasswordValidation { valid: errors.is_empty(), errors }))
}

/// The calls anyone may make: sign-up, the mailed links, password reset. Sign-up, reset
/// and resend answer first and write afterwards (`ctx.waitUntil`): a known address and an
/// unknown one then answer after the same reads (engine::accounts::Followup).
async fn anonymous(
    route: AccountRoute,
    mut req: Request,
    config: &Config,
    env: &Env,
    ctx: &Context,
) -> Result<Response, ApiError> {
    check_origin(&req, config)?;
    let now = now();
    let (store, kv) = (db(env)?, kv(env)?);
    let meta = request_meta(&req);
    let flows = accounts(config, &store, &kv, &meta, now);
    let (message, followup) = match route {
        AccountRoute::SignUp => {
            let body: SignUpRequest = read_json(&mut req).await?;
            // Hashing costs ~60 ms of CPU: limited like sign-ins, per address of the caller.
            let ip = meta.ip_address.as_deref().unwrap_or("unknown");
            crate::engine::identity::rate_limit::hit(
                &kv,
                crate::engine::identity::rate_limit::Bucket::Login,
                ip,
                config.rate_limits.login,
                now,
            )
            .await?;
            flows.sign_up_answer(&body).await?
        }
        AccountRoute::VerifyEmail => {
            (flows.verify_email(&read_json::<TokenRequest>(&mut req).await?.token).await?, Followup::Nothing)
        }
        AccountRoute::ResendVerification => {
            flows.resend_verification_answer(&read_json::<EmailRequest>(&mut req).await?.email).await?
        }
        AccountRoute::PasswordReset => {
            flows.request_password_reset_answer(&read_json::<EmailRequest>(&mut req).await?.email).await?
        }
        AccountRoute::PasswordResetComplete => (
            flows.complete_password_reset(&read_json::<PasswordResetComplete>(&mut req).await?).await?,
            Followup::Nothing,
        ),
        _ => return Err(ApiError::NotFound),
    };
    if followup != Followup::Nothing {
        let env = env.clone();
        ctx.wait_until(async move {
            let done = async {
                let config = super::env::config(&env).map_err(ApiError::from)?;
                let (store, kv_store) = (db(&env)?, super::router::kv(&env)?);
                accounts(&config, &store, &kv_store, &meta, now).follow_up(followup).await
            };
            if let Err(e) = done.await {
                worker::console_error!("account follow-up failed: {e:?}");
            }
        });
    }
    let status = if route == AccountRoute::SignUp { 201 } else { 200 };
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
async fn signed_in(route: AccountRoute, mut req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    let method = req.method();
    if !matches!(method, Method::Get | Method::Head) {
        check_csrf(&req, config)?;
    }
    let now = now();
    let (store, kv) = (db(env)?, kv(env)?);
    let Some((session, user)) = current(&req, config, &kv, &store, now).await? else {
        return Err(ApiError::Request {
            status: 401,
            code: "login_required",
            description: "Sign in to manage your account.".into(),
        });
    };
    let meta = request_meta(&req);
    let flows = accounts(config, &store, &kv, &meta, now);
    let response = match route {
        AccountRoute::Account if method == Method::Patch => {
            let update: ProfileUpdate = read_json(&mut req).await?;
            respond::json(200, &profile(&flows.update_profile(&user, &update).await?))
        }
        AccountRoute::Account => respond::json(200, &profile(&user)),
        AccountRoute::Password => {
            let body: ChangePassword = read_json(&mut req).await?;
            flows.change_password(&user, &session, &body).await?;
            respond::empty(204)
        }
        AccountRoute::Sessions => respond::json(200, &flows.sessions(&user, &session).await?),
        AccountRoute::Session(id) => {
            flows.end_session(&user, &id).await?;
            respond::empty(204)
        }
        AccountRoute::Consents => {
            let consents: Vec<ConsentSummary> = store.consents_of(&user.id).await?;
            respond::json(200, &consents)
        }
        AccountRoute::Consent(client_id) => {
            flows.revoke_consent(&user, &client_id).await?;
            respond::empty(204)
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(respond::set_no_store(response))
}

/// The activation page's calls: looking a code up needs no session (the page says "sign in
/// to continue" after it); answering needs the session and the CSRF token.
async fn activate(route: AccountRoute, mut req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    check_csrf(&req, config)?;
    let now = now();
    let (store, kv) = (db(env)?, kv(env)?);
    let meta = request_meta(&req);
    let activation = Activation { config, store: &store, kv: &kv, rng: &SystemRandom, meta: &meta, now };
    let response = if route == AccountRoute::DeviceLookup {
        let body: UserCodeRequest = read_json(&mut req).await?;
        respond::json(200, &activation.lookup(&body.user_code).await?)
    } else {
        let body: DeviceDecision = read_json(&mut req).await?;
        let Some((session, user)) = current(&req, config, &kv, &store, now).await? else {
            return Err(ApiError::Request {
                status: 401,
                code: "login_required",
                description: "Your session has ended; sign in again.".into(),
            });
        };
        respond::json(200, &activation.decide(&body.user_code, body.allow, &user, &session).await?)
    };
    Ok(respond::set_no_store(response))
}

/// `GET /api/outbox?limit=&offset=` (admin token): the mail outbox, newest first.
async fn outbox(req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    let now = now();
    let store = db(env)?;
    if let Err(refused) = require_admin(&req, config, &store, now).await {
        return Ok(refused);
    }
    let (limit, offset) = paging(&query(&req)?)?;
    let (mails, total) = store.outbox(limit, offset).await?;
    let data = mails
        .into_iter()
        .map(|m| OutboxMail {
            id: m.id,
            template: m.template,
            to: m.to,
            subject: m.subject,
            text: m.text,
            html: m.html,
            status: m.status,
            error: m.last_error,
            created_at: m.created_at,
        })
        .collect();
    Ok(respond::set_no_store(respond::json(200, &Page { data, total, limit, offset })))
}
