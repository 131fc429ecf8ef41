//! The browser half of sign-in: `/authorize` and `/authorize/resume` (redirects between
//! the app, the SPA's screens and back), and the JSON calls those screens make
//! (`/api/session`, `/api/authorize`, `/api/consent`). The engine decides; this module
//! reads cookies and bodies and writes redirects, pages and cookies.

use serde::de::DeserializeOwned;
use shared::session::{
    AuthorizationDetails, ConsentDecision, NextLocation, SessionInfo, SessionUser, SignInRequest, CSRF_HEADER,
};
use worker::{Env, Method, Request, Response};

use super::account;
use super::d1::D1Store;
use super::kv::Kv;
use super::pages;
use super::respond;
use super::router::{db, ensure_bootstrap, kv, now, read_form, request_meta, EdgeKeys, EdgeVerifier};
use super::webcrypto::WebCryptoSigner;
use crate::engine::clients::{Client, ClientStore};
use crate::engine::crypto::tokens::random_token;
use crate::engine::identity::csrf::{self, CSRF_COOKIE};
use crate::engine::identity::login::{verify_login, LoginContext, LoginError};
use crate::engine::identity::rate_limit::{self, Bucket};
use crate::engine::identity::sessions::{self, Session, SESSION_COOKIE};
use crate::engine::identity::users::{User, UserStore};
use crate::engine::oauth::authorize::issue::Issuer;
use crate::engine::oauth::authorize::{
    decide, open_request, request, seal_request, AuthorizationRequest, AuthorizationResponse, AuthorizeError, Next,
    ResponseMode, Situation,
};
use crate::engine::oauth::consent::{merged, ConsentStore};
use crate::engine::oauth::logout;
use crate::engine::oauth::scope::describe_scopes;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::oauth::store::user_and_consent;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, ErrorResponse, InternalError};
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{SystemRandom, UnixTime};

/// JSON bodies of the session API are a few hundred bytes.
const MAX_JSON_BODY: usize = 16 * 1024;

/// The value of cookie `name` in the request's `Cookie` header.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// `Set-Cookie` for our cookies: HttpOnly, SameSite=Lax (the top-level redirect back
/// from an app must carry the session), Secure on https, the whole origin.
fn set_cookie(response: &mut Response, config: &Config, name: &str, value: &str, max_age: Option<i64>) {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if config.is_https() {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if let Err(e) = response.headers_mut().append("Set-Cookie", &cookie) {
        worker::console_error!("Set-Cookie: {e}");
    }
}

fn redirect(location: &str) -> Response {
    let mut response = respond::empty(303);
    respond::set(response.headers_mut(), "Location", location);
    respond::set(response.headers_mut(), "Cache-Control", "no-store");
    response
}

/// An authorization response in its mode: a redirect for query and fragment, the
/// auto-submitting page for form_post.
fn deliver(response: &AuthorizationResponse) -> Response {
    match response.mode {
        ResponseMode::FormPost => pages::form_post(response),
        _ => redirect(&response.location()),
    }
}

fn render_error(config: &Config, error: &AuthorizeError) -> Response {
    if let Some(detail) = error.log_detail() {
        worker::console_error!("authorize: {detail}");
    }
    match error.response(config) {
        Some(response) => deliver(&response),
        None => pages::error_page(config, error.status(), error.code(), &error.description().unwrap_or_default()),
    }
}

/// The live session of this browser and its (active) user.
pub(super) async fn current(
    req: &Request,
    config: &Config,
    kv: &Kv,
    store: &D1Store,
    now: UnixTime,
) -> Result<Option<(Session, User)>, InternalError> {
    let Some(value) = cookie(req, SESSION_COOKIE) else { return Ok(None) };
    let Some(session) = sessions::load(kv, config, &value, now).await? else { return Ok(None) };
    match store.user_by_id(&session.user_id).await? {
        Some(user) if user.active => Ok(Some((session, user))),
        _ => Ok(None),
    }
}

/// The parameters of a browser endpoint: the form body of a POST, else the query
/// string; each parameter once (RFC 6749 §3.1). Errors are for the error page.
async fn browser_params(req: &mut Request) -> Result<Form, AuthorizeError> {
    if req.method() == Method::Post {
        return read_form(req)
            .await
            .map_err(|e| AuthorizeError::page("invalid_request", &e.description().unwrap_or_default()));
    }
    let query = req.url().ok().and_then(|u| u.query().map(str::to_owned)).unwrap_or_default();
    Form::parse(query.as_bytes()).map_err(|e| AuthorizeError::page("invalid_request", &e.describe()))
}

/// `GET|POST /authorize` (RFC 6749 §3.1: GET must work, POST may).
pub async fn authorize(mut req: Request, config: &Config, env: &Env) -> Response {
    let now = now();
    let params = browser_params(&mut req).await;
    let result = async {
        let params = params?;
        let store = db(env)?;
        ensure_bootstrap(config, &store, now).await?;
        let client = match params.get("client_id") {
            Some(id) => store.client_with_secrets(id).await?.map(|(client, _)| client),
            None => None,
        };
        let request = request::parse(&params, client.as_ref(), config, now)?;
        // parse() verified the client, so it is there; it is read once per request.
        let Some(client) = client else {
            return Err(AuthorizeError::page("invalid_client", "the client is not registered with this server"));
        };
        proceed(&req, config, env, &store, Pending { client: &client, request, account_selected: false }, now).await
    }
    .await;
    result.unwrap_or_else(|e| render_error(config, &e))
}

/// `GET /authorize/resume?request=...`: where the sign-in and consent screens send the
/// browser back to; `account=current` is the select-account screen's answer.
pub async fn resume(req: Request, config: &Config, env: &Env) -> Response {
    let now = now();
    let result = async {
        let query = req.url().ok().and_then(|u| u.query().map(str::to_owned)).unwrap_or_default();
        let params =
            Form::parse(query.as_bytes()).map_err(|e| AuthorizeError::page("invalid_request", &e.describe()))?;
        let sealed = params
            .get("request")
            .ok_or_else(|| AuthorizeError::page("invalid_request", "the request parameter is missing"))?;
        let request = open_request(config, sealed, now)?;
        let store = db(env)?;
        // The client may have been deleted while the person was signing in.
        let Some((client, _)) = store.client_with_secrets(&request.client_id).await? else {
            return Err(AuthorizeError::page("invalid_client", "the client is no longer registered"));
        };
        let account_selected = params.get("account") == Some("current");
        proceed(&req, config, env, &store, Pending { client: &client, request, account_selected }, now).await
    }
    .await;
    result.unwrap_or_else(|e| render_error(config, &e))
}

/// A verified request, its client, and whether the person picked an account for it.
struct Pending<'a> {
    client: &'a Client,
    request: AuthorizationRequest,
    account_selected: bool,
}

/// Decides the next step for a verified request and takes it.
async fn proceed(
    req: &Request,
    config: &Config,
    env: &Env,
    store: &D1Store,
    pending: Pending<'_>,
    now: UnixTime,
) -> Result<Response, AuthorizeError> {
    let Pending { client, request, account_selected } = pending;
    let kv = kv(env)?;
    // The session from KV, then its user and their consent to this client in one D1 batch.
    let session = match cookie(req, SESSION_COOKIE) {
        Some(value) => sessions::load(&kv, config, &value, now).await?,
        None => None,
    };
    let (signed_in, consent) = match session {
        Some(session) => match user_and_consent(store, &session.user_id, &client.client_id).await? {
            (Some(user), consent) if user.active => (Some((session, user)), consent),
            _ => (None, None),
        },
        None => (None, None),
    };
    let situation = Situation {
        session: signed_in.as_ref().map(|(s, _)| s),
        consent: consent.as_ref(),
        first_party: client.first_party,
        account_selected,
    };
    let screen = |path: &str, request: &AuthorizationRequest| -> Result<Response, AuthorizeError> {
        let sealed = seal_request(config, request, &SystemRandom)?;
        Ok(redirect(&format!("{path}?request={sealed}")))
    };
    match decide(&request, &situation, now)? {
        Next::SignIn => screen("/signin", &request),
        Next::SelectAccount => screen("/signin", &request),
        Next::Consent => screen("/consent", &request),
        Next::Issue => {
            let Some((session, user)) = &signed_in else {
                return Err(AuthorizeError::Internal(InternalError::new("issue without a session")));
            };
            let keys = EdgeKeys { config, env, now };
            let issuer = Issuer { config, store, signer: &WebCryptoSigner, keys: &keys, rng: &SystemRandom, now };
            let response = issuer.issue(&request, client, user, session).await?;
            Ok(deliver(&response))
        }
    }
}

// ---- the JSON calls of the sign-in and consent screens ----

fn session_user(user: &User) -> SessionUser {
    SessionUser { id: user.id.clone(), email: user.email.clone(), name: user.name.clone() }
}

/// The CSRF token of this browser: the cookie's value, or a new one (then `fresh`).
fn csrf_token(req: &Request) -> Result<(String, bool), InternalError> {
    match cookie(req, CSRF_COOKIE).filter(|c| c.len() == 43) {
        Some(token) => Ok((token, false)),
        None => Ok((random_token(&SystemRandom)?, true)),
    }
}

/// A browser's request from another origin is refused (scripts send no `Origin`).
pub(super) fn check_origin(req: &Request, config: &Config) -> Result<(), ApiError> {
    match req.headers().get("Origin").ok().flatten() {
        // The issuer may carry a path; the browser's Origin never does.
        Some(origin) if config.origin() != origin => Err(ApiError::csrf()),
        _ => Ok(()),
    }
}

/// State-changing calls: same origin (when the browser says), JSON, and the CSRF header
/// echoing the cookie.
pub(super) fn check_csrf(req: &Request, config: &Config) -> Result<(), ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    check_origin(req, config)?;
    if csrf::valid(cookie(req, CSRF_COOKIE).as_deref(), header(CSRF_HEADER).as_deref()) {
        Ok(())
    } else {
        Err(ApiError::csrf())
    }
}

pub(super) async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::bad_request("invalid_request", "the body must be application/json"));
    }
    let body =
        req.bytes().await.map_err(|e| ApiError::bad_request("invalid_request", format!("unreadable body: {e}")))?;
    if body.len() > MAX_JSON_BODY {
        return Err(ApiError::Request {
            status: 413,
            code: "invalid_request",
            description: "the body is too large".into(),
        });
    }
    serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("invalid_request", format!("malformed JSON: {e}")))
}

fn with_csrf_cookie(mut response: Response, config: &Config, token: &str, fresh: bool) -> Response {
    if fresh {
        set_cookie(&mut response, config, CSRF_COOKIE, token, None);
    }
    response
}

/// `GET /api/session`: who is signed in here, and the CSRF token.
pub async fn session_info(req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    let now = now();
    let store = db(env)?;
    let signed_in = current(&req, config, &kv(env)?, &store, now).await?;
    let (token, fresh) = csrf_token(&req)?;
    let body = SessionInfo { csrf_token: token.clone(), user: signed_in.map(|(_, user)| session_user(&user)) };
    Ok(with_csrf_cookie(respond::json(200, &body), config, &token, fresh))
}

/// `POST /api/session`: password sign-in; starts a session.
pub async fn sign_in(mut req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    check_csrf(&req, config)?;
    let body: SignInRequest = read_json(&mut req).await?;
    let now = now();
    let store = db(env)?;
    ensure_bootstrap(config, &store, now).await?;
    let meta = request_meta(&req);
    let kv = kv(env)?;
    // RATE_LIMIT_LOGIN_* per client address: each attempt costs an argon2 verification.
    let ip = meta.ip_address.as_deref().unwrap_or("unknown");
    rate_limit::hit(&kv, Bucket::Login, ip, config.rate_limits.login, now).await?;
    let cx = LoginContext { config, meta: &meta, now, method: "browser", client_id: None };
    let user = verify_login(&store, &SystemRandom, &cx, &body.email, &body.password).await.map_err(|e| match e {
        LoginError::Invalid => ApiError::Request {
            status: 401,
            code: "invalid_credentials",
            description: "The email or password is incorrect.".into(),
        },
        LoginError::Locked { .. } => ApiError::Request {
            status: 423,
            code: "account_locked",
            description: format!(
                "Your account has been temporarily locked due to multiple failed sign-in attempts. Please try again in {} minutes.",
                config.security.lockout_duration
            ),
        },
        LoginError::EmailNotVerified => ApiError::Request {
            status: 403,
            code: "email_not_verified",
            description: "Verify your email address first: follow the link in the message we sent you.".into(),
        },
        LoginError::Internal(e) => ApiError::Internal(e),
    })?;
    // A sign-in replaces whatever session this browser had (no session fixation).
    if let Some(old) = cookie(&req, SESSION_COOKIE) {
        if let Some(session) = sessions::load(&kv, config, &old, now).await? {
            sessions::end(&kv, &store, config, &session, now).await?;
        }
    }
    let (value, session) = sessions::start(&kv, &store, config, &user.id, &meta, &SystemRandom, now).await?;
    // The sign-in stands even if the new-login notice cannot be written; the log says why.
    if let Err(e) = account::accounts(config, &store, &kv, &meta, now).notice_sign_in(&user, &session).await {
        worker::console_error!("new-login notice for {}: {e}", user.id);
    }
    let (token, _) = csrf_token(&req)?;
    let mut response = respond::json(200, &SessionInfo { csrf_token: token, user: Some(session_user(&user)) });
    let max_age = session.expires_at - now;
    set_cookie(&mut response, config, SESSION_COOKIE, &value, Some(max_age));
    Ok(response)
}

/// `DELETE /api/session`: sign out of this browser.
pub async fn sign_out(req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    check_csrf(&req, config)?;
    let now = now();
    let kv = kv(env)?;
    if let Some(value) = cookie(&req, SESSION_COOKIE) {
        if let Some(session) = sessions::load(&kv, config, &value, now).await? {
            let store = db(env)?;
            sessions::end(&kv, &store, config, &session, now).await?;
            let event = AuditEvent::new("user.logout", &request_meta(&req), now, &SystemRandom)?
                .actor("user", &session.user_id);
            store.record(&event).await?;
        }
    }
    let mut response = respond::empty(204);
    set_cookie(&mut response, config, SESSION_COOKIE, "", Some(0));
    Ok(response)
}

fn sealed_param(req: &Request) -> Result<String, ApiError> {
    let query = req.url().ok().and_then(|u| u.query().map(str::to_owned)).unwrap_or_default();
    let params = Form::parse(query.as_bytes()).map_err(|e| ApiError::bad_request("invalid_request", e.describe()))?;
    params
        .get("request")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request("invalid_request", "the request parameter is missing"))
}

fn open_for_api(config: &Config, sealed: &str, now: UnixTime) -> Result<AuthorizationRequest, ApiError> {
    open_request(config, sealed, now)
        .map_err(|e| ApiError::bad_request("invalid_request", e.description().unwrap_or_default()))
}

async fn client_of(store: &D1Store, request: &AuthorizationRequest) -> Result<Client, ApiError> {
    store
        .client_with_secrets(&request.client_id)
        .await?
        .map(|(client, _)| client)
        .ok_or_else(|| ApiError::bad_request("invalid_client", "the client is no longer registered"))
}

/// `GET /api/authorize?request=...`: what the screens show about a pending request.
pub async fn authorization_details(req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    let sealed = sealed_param(&req)?;
    let request = open_for_api(config, &sealed, now())?;
    let store = db(env)?;
    let client = client_of(&store, &request).await?;
    let described = store.scope_descriptions().await?;
    let scopes = describe_scopes(request.scope.iter().map(String::as_str), &described);
    let body = AuthorizationDetails {
        client_id: client.client_id.clone(),
        client_name: client.client_name.clone(),
        logo_uri: client.logo_uri.clone(),
        scopes,
        login_hint: request.login_hint.clone(),
        ui_locales: request.ui_locales.clone(),
        select_account: request.prompt.select_account,
        continue_url: format!("/authorize/resume?request={sealed}"),
    };
    Ok(respond::json(200, &body))
}

/// `POST /api/consent`: Allow records the consent (`consent.granted`); Deny sends the
/// app `access_denied`. Either way the browser goes back through `/authorize/resume`.
pub async fn consent(mut req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    check_csrf(&req, config)?;
    let decision: ConsentDecision = read_json(&mut req).await?;
    let now = now();
    let mut request = open_for_api(config, &decision.request, now)?;
    let store = db(env)?;
    let Some((_, user)) = current(&req, config, &kv(env)?, &store, now).await? else {
        return Err(ApiError::Request {
            status: 401,
            code: "login_required",
            description: "Your session has ended; sign in again.".into(),
        });
    };
    let client = client_of(&store, &request).await?;
    let meta = request_meta(&req);
    let location = if decision.allow {
        let existing = store.consent(&user.id, &client.client_id).await?;
        let scopes = merged(existing.as_ref(), &request.scope);
        store.save_consent(&user.id, &client.client_id, &scopes, now).await?;
        let event = AuditEvent::new("consent.granted", &meta, now, &SystemRandom)?
            .actor("user", &user.id)
            .resource("client", &client.client_id)
            .metadata(serde_json::json!({ "scopes": request.scope }));
        store.record(&event).await?;
        format!("/authorize/resume?request={}", decision.request)
    } else {
        let event = AuditEvent::new("consent.denied", &meta, now, &SystemRandom)?
            .actor("user", &user.id)
            .resource("client", &client.client_id);
        store.record(&event).await?;
        request.denied = true;
        format!("/authorize/resume?request={}", seal_request(config, &request, &SystemRandom)?)
    };
    Ok(respond::json(200, &NextLocation { location }))
}

/// `GET|POST /logout` (OIDC RP-Initiated Logout 1.0).
pub async fn logout(mut req: Request, config: &Config, env: &Env) -> Response {
    let now = now();
    let post = req.method() == Method::Post;
    let params = browser_params(&mut req).await;
    let result = async {
        let params = params?;
        let store = db(env)?;
        let verifier = EdgeVerifier { store: &store, now };
        let lookup = |id: String| {
            let store = &store;
            async move { Ok(store.client_with_secrets(&id).await?.map(|(client, _)| client)) }
        };
        let request = logout::parse(&params, config, &WebCryptoSigner, &verifier, lookup).await?;
        let kv = kv(env)?;
        let signed_in = current(&req, config, &kv, &store, now).await?;
        let (token, fresh) = csrf_token(&req)?;
        let confirmed = post
            && params.get("confirm") == Some("yes")
            && csrf::valid(cookie(&req, CSRF_COOKIE).as_deref(), params.get("csrf_token"));
        if let Some((_, user)) = &signed_in {
            if logout::needs_confirmation(&request, Some(&user.id)) && !confirmed {
                let mut hidden: Vec<(String, String)> =
                    ["client_id", "post_logout_redirect_uri", "state", "id_token_hint"]
                        .iter()
                        .filter_map(|k| params.get(k).map(|v| ((*k).to_owned(), v.to_owned())))
                        .collect();
                hidden.push(("confirm".into(), "yes".into()));
                hidden.push(("csrf_token".into(), token.clone()));
                let page = pages::logout_confirmation(config, &user.email, &hidden, &request.destination(config));
                return Ok(with_csrf_cookie(page, config, &token, fresh));
            }
        }
        if let Some((session, user)) = &signed_in {
            sessions::end(&kv, &store, config, session, now).await?;
            let mut event =
                AuditEvent::new("user.logout", &request_meta(&req), now, &SystemRandom)?.actor("user", &user.id);
            if let Some(client_id) = &request.client_id {
                event = event.resource("client", client_id);
            }
            store.record(&event).await?;
        }
        let mut response = redirect(&request.destination(config));
        set_cookie(&mut response, config, SESSION_COOKIE, "", Some(0));
        Ok::<Response, AuthorizeError>(response)
    }
    .await;
    result.unwrap_or_else(|e| render_error(config, &e))
}
