//! Request routing. Protocol and API paths are answered here; everything else is a page
//! of the SPA, served from the assets binding with SPA fallback.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use shared::api::{HealthStatus, UiConfig};
use web_sys::CryptoKey;
use worker::{console_error, Context, Env, Method, Request, Response};

use super::account;
use super::browser;
use super::clients;
use super::d1::D1Store;
use super::env;
use super::kv::Kv;
use super::respond::{self, Kind};
use super::webcrypto::WebCryptoSigner;
use crate::engine::clients::bootstrap;
use crate::engine::crypto::keys::{
    ActiveSigningKey, KeyLookup, KeyRing, SignerCache, TtlCache, VerifierCache, SIGNER_CACHE_SECONDS,
};
use crate::engine::oauth::access_token::{self, VerificationKeySource};
use crate::engine::oauth::discovery::{
    self, AUTHORIZATION_PATH, DEVICE_AUTHORIZATION_PATH, DISCOVERY_PATH, INTROSPECTION_PATH, JWKS_PATH,
    REVOCATION_PATH, TOKEN_PATH, USERINFO_PATH,
};
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::oauth::token::{SigningKeySource, TokenEndpoint, TokenError};
use crate::engine::oauth::userinfo::{presented_token, userinfo as engine_userinfo, BearerError};
use crate::engine::ops::audit::RequestMeta;
use crate::engine::ops::health;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::error::{ApiError, ConfigError, InternalError};
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{Clock, SystemRandom, UnixTime};

thread_local! {
    /// The imported signing key, per isolate (engine::keys::SignerCache says for how long).
    static SIGNER: RefCell<SignerCache<CryptoKey>> = const { RefCell::new(SignerCache::new(SIGNER_CACHE_SECONDS)) };
    /// The served JWKS and discovery bodies: both change only with keys or configuration,
    /// and rebuilding them costs D1 reads (and a signature for signed_metadata).
    static JWKS_BODY: RefCell<TtlCache<String>> = const { RefCell::new(TtlCache::new(JWKS_CACHE_SECONDS)) };
    static DISCOVERY_BODY: RefCell<TtlCache<String>> = const { RefCell::new(TtlCache::new(DISCOVERY_CACHE_SECONDS)) };
    /// Imported public keys for verifying presented tokens.
    static VERIFIERS: RefCell<VerifierCache<CryptoKey>> = const { RefCell::new(VerifierCache::new()) };
    /// Whether this isolate has ensured the bootstrap clients (engine::bootstrap).
    static BOOTSTRAPPED: Cell<bool> = const { Cell::new(false) };
}

/// How long an isolate serves the same JWKS body: well under the 300 s HTTP max-age, so a
/// key published by a rotation reaches verifiers as fast as the max-age allows anyway.
const JWKS_CACHE_SECONDS: UnixTime = 60;
/// How long an isolate serves the same discovery document (its signed_metadata `iat` ages
/// with it; the HTTP max-age is an hour).
const DISCOVERY_CACHE_SECONDS: UnixTime = 300;

/// Token requests are a few hundred bytes; anything near this is not a token request.
const MAX_FORM_BODY: usize = 64 * 1024;

/// Paths that belong to programs, not people: unknown ones get a JSON 404, never the SPA.
/// Protocol endpoints not built yet are listed so a client gets JSON, not an HTML page.
const API_PREFIXES: &[&str] =
    &["/api/", "/.well-known/", "/oauth/", "/oauth2/", "/token/", "/register/", "/device/", "/auth/"];
const API_PATHS: &[&str] =
    &["/api", "/token", "/authorize", "/userinfo", "/register", "/device", "/logout", "/metrics"];

fn is_api_path(path: &str) -> bool {
    API_PATHS.contains(&path) || API_PREFIXES.iter().any(|p| path.starts_with(p))
}

pub(super) fn now() -> UnixTime {
    WorkerClock.now()
}

/// `Date.now()`: in workerd it advances only across I/O, which is all the precision
/// token lifetimes need.
struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> UnixTime {
        (js_sys::Date::now() / 1000.0).floor() as UnixTime
    }
}

const GET_HEAD: &str = "GET, HEAD";

/// The endpoints the worker answers itself.
#[derive(Clone, Copy)]
enum Route {
    Health,
    Discovery,
    Jwks,
    UiConfig,
    /// The three form endpoints of the token family (RFC 6749, RFC 7662, RFC 7009).
    Token(TokenOperation),
    UserInfo,
    /// `/authorize` (GET, POST) and `/authorize/resume` (GET): browser redirects.
    Authorize,
    AuthorizeResume,
    /// `/api/session`: GET who is signed in, POST sign in, DELETE sign out.
    Session,
    /// `/api/authorize`: a pending request as the screens show it.
    AuthorizationDetails,
    /// `/api/consent`: the consent screen's answer.
    Consent,
    /// `/logout` (GET, POST): RP-Initiated Logout.
    Logout,
}

#[derive(Clone, Copy)]
enum TokenOperation {
    Issue,
    /// `/device` (RFC 8628 §3.1).
    DeviceAuthorization,
    Introspect,
    Revoke,
}

impl Route {
    fn of(path: &str) -> Option<Route> {
        match path {
            "/health" => Some(Route::Health),
            DISCOVERY_PATH => Some(Route::Discovery),
            JWKS_PATH => Some(Route::Jwks),
            "/api/ui-config" => Some(Route::UiConfig),
            TOKEN_PATH => Some(Route::Token(TokenOperation::Issue)),
            DEVICE_AUTHORIZATION_PATH | "/device/code" => Some(Route::Token(TokenOperation::DeviceAuthorization)),
            // Primary paths first; the aliases are the contract's.
            INTROSPECTION_PATH | "/oauth/introspect" => Some(Route::Token(TokenOperation::Introspect)),
            REVOCATION_PATH | "/oauth/revoke" => Some(Route::Token(TokenOperation::Revoke)),
            USERINFO_PATH | "/oauth2/userinfo" => Some(Route::UserInfo),
            AUTHORIZATION_PATH => Some(Route::Authorize),
            "/authorize/resume" => Some(Route::AuthorizeResume),
            "/api/session" => Some(Route::Session),
            "/api/authorize" => Some(Route::AuthorizationDetails),
            "/api/consent" => Some(Route::Consent),
            "/logout" => Some(Route::Logout),
            _ => None,
        }
    }

    fn accepts(self, method: &Method) -> bool {
        match self {
            Route::Health | Route::Discovery | Route::Jwks | Route::UiConfig => is_read(method),
            Route::Token(_) => *method == Method::Post,
            // OPTIONS: CORS preflight from browser apps that send the Bearer header.
            Route::UserInfo => is_read(method) || matches!(method, Method::Post | Method::Options),
            Route::Authorize | Route::Logout => is_read(method) || *method == Method::Post,
            Route::AuthorizeResume | Route::AuthorizationDetails => is_read(method),
            Route::Session => is_read(method) || matches!(method, Method::Post | Method::Delete),
            Route::Consent => *method == Method::Post,
        }
    }

    /// The `Allow` header of a 405 (RFC 9110 §15.5.6).
    fn allow(self) -> &'static str {
        match self {
            Route::Health | Route::Discovery | Route::Jwks | Route::UiConfig => GET_HEAD,
            Route::Token(_) => "POST",
            Route::UserInfo => "GET, HEAD, POST, OPTIONS",
            Route::Authorize | Route::Logout => "GET, HEAD, POST",
            Route::AuthorizeResume | Route::AuthorizationDetails => GET_HEAD,
            Route::Session => "GET, HEAD, POST, DELETE",
            Route::Consent => "POST",
        }
    }
}

fn is_read(method: &Method) -> bool {
    matches!(method, Method::Get | Method::Head)
}

pub async fn handle(req: Request, env: &Env, ctx: &Context) -> Response {
    let path = req.path();
    let method = req.method();
    let config = env::config(env);
    let https = config.as_ref().map(|c| c.is_https()).unwrap_or(false);

    if Route::of(&path).is_none() && !is_api_path(&path) {
        let response = if is_read(&method) {
            page(req, env).await
        } else {
            respond::error(&ApiError::MethodNotAllowed { allow: GET_HEAD })
        };
        return respond::finish(response, Kind::Page, https);
    }

    let result = match (Route::of(&path), &config) {
        (None, Ok(config)) => match (account::AccountRoute::of(&path), clients::ClientRoute::of(&path)) {
            (Some(route), _) => account::handle(route, req, config, env, ctx).await,
            (None, Some(route)) => clients::handle(route, req, config, env).await,
            (None, None) => Err(ApiError::NotFound),
        },
        (None, Err(e)) if account::AccountRoute::of(&path).is_some() || clients::ClientRoute::of(&path).is_some() => {
            Err(e.clone().into())
        }
        (None, _) => Err(ApiError::NotFound),
        (Some(route), _) if !route.accepts(&method) => Err(ApiError::MethodNotAllowed { allow: route.allow() }),
        // Health reports a broken configuration instead of failing on it.
        (Some(Route::Health), _) => Ok(health(&config, env).await),
        (Some(_), Err(e)) => Err(e.clone().into()),
        (Some(Route::Discovery), Ok(config)) => discovery(config, env).await,
        (Some(Route::Jwks), Ok(config)) => jwks(config, env).await,
        (Some(Route::UiConfig), Ok(config)) => Ok(ui_config(config)),
        (Some(Route::Token(operation)), Ok(config)) => Ok(token(req, operation, config, env).await),
        (Some(Route::UserInfo), Ok(config)) => Ok(userinfo(req, config, env).await),
        // The authorization endpoint answers browsers: redirects and pages, so the page
        // security headers (its error page uses the SPA's stylesheet).
        (Some(Route::Authorize), Ok(config)) => {
            return respond::finish(browser::authorize(req, config, env).await, Kind::Page, https)
        }
        (Some(Route::Logout), Ok(config)) => {
            return respond::finish(browser::logout(req, config, env).await, Kind::Page, https)
        }
        (Some(Route::AuthorizeResume), Ok(config)) => {
            return respond::finish(browser::resume(req, config, env).await, Kind::Page, https)
        }
        (Some(Route::Session), Ok(config)) => match method {
            Method::Post => browser::sign_in(req, config, env).await,
            Method::Delete => browser::sign_out(req, config, env).await,
            _ => browser::session_info(req, config, env).await,
        },
        (Some(Route::AuthorizationDetails), Ok(config)) => browser::authorization_details(req, config, env).await,
        (Some(Route::Consent), Ok(config)) => browser::consent(req, config, env).await,
    };
    let response = result.unwrap_or_else(|e| respond::error(&e));
    respond::finish(response, Kind::Api, https)
}

fn binding_err(what: &str) -> impl Fn(worker::Error) -> InternalError + '_ {
    move |e| InternalError::new(format!("binding {what}: {e}"))
}

pub(super) fn db(env: &Env) -> Result<D1Store, InternalError> {
    Ok(D1Store { db: env.d1("DB").map_err(binding_err("DB"))? })
}

pub(super) fn kv(env: &Env) -> Result<Kv, InternalError> {
    Ok(Kv { store: env.kv("KV").map_err(binding_err("KV"))? })
}

async fn health(config: &Result<Rc<Config>, ConfigError>, env: &Env) -> Response {
    let (db, kv) = (db(env), kv(env));
    let outcome = health::check(
        config.as_ref().map(|_| ()),
        db.as_ref().map_err(Clone::clone),
        kv.as_ref().map_err(Clone::clone),
    )
    .await;
    for problem in &outcome.problems {
        console_error!("health: {problem}");
    }
    let status = if outcome.report.status == HealthStatus::Ok { 200 } else { 503 };
    respond::json(status, &outcome.report)
}

/// The active signer, from the isolate's cache or loaded (and on a fresh database created).
async fn signing_key(config: &Config, env: &Env, now: UnixTime) -> Result<ActiveSigningKey<CryptoKey>, InternalError> {
    if let Some(key) = SIGNER.with(|c| c.borrow().get(now)) {
        return Ok(key);
    }
    let store = db(env)?;
    let ring = KeyRing { store: &store, signer: &WebCryptoSigner, rng: &SystemRandom, secret: &config.secret_key };
    let key = ring.load_active_signer(now).await?;
    SIGNER.with(|c| c.borrow_mut().put(key.clone(), now));
    Ok(key)
}

fn with_header(mut response: Response, name: &str, value: &str) -> Response {
    respond::set(response.headers_mut(), name, value);
    response
}

/// Browsers' OIDC libraries fetch discovery and the JWKS cross-origin.
fn public_cacheable(response: Response, max_age: u32) -> Response {
    let response = with_header(response, "Access-Control-Allow-Origin", "*");
    with_header(response, "Cache-Control", &format!("public, max-age={max_age}"))
}

async fn discovery(config: &Config, env: &Env) -> Result<Response, ApiError> {
    let now = now();
    let body = match DISCOVERY_BODY.with(|c| c.borrow().get(now)) {
        Some(body) => body,
        None => {
            let key = signing_key(config, env, now).await.map_err(ApiError::from)?;
            let scopes = db(env)?.scope_names().await?;
            let document = discovery::discovery_document(config, &WebCryptoSigner, &key, &scopes, now).await?;
            let body = document.to_string();
            DISCOVERY_BODY.with(|c| c.borrow_mut().put(body.clone(), now));
            body
        }
    };
    Ok(public_cacheable(respond::json_text(200, body), 3600))
}

async fn jwks(config: &Config, env: &Env) -> Result<Response, ApiError> {
    let now = now();
    let body = match JWKS_BODY.with(|c| c.borrow().get(now)) {
        Some(body) => body,
        None => {
            let store = db(env)?;
            let ring =
                KeyRing { store: &store, signer: &WebCryptoSigner, rng: &SystemRandom, secret: &config.secret_key };
            let set = ring.jwks(now).await?;
            let body = serde_json::to_string(&set).map_err(|e| InternalError::new(format!("JWKS: {e}")))?;
            JWKS_BODY.with(|c| c.borrow_mut().put(body.clone(), now));
            body
        }
    };
    // Short enough that a key added before a rotation is seen by verifiers in time.
    Ok(public_cacheable(respond::json_text(200, body), 300))
}

fn ui_config(config: &Config) -> Response {
    let body = UiConfig {
        branding: config.branding.clone(),
        issuer: config.issuer.clone(),
        password_policy: config.security.password_policy.clone(),
    };
    with_header(respond::json(200, &body), "Cache-Control", "no-cache")
}

/// The per-isolate signer cache as the engine's key source.
pub(super) struct EdgeKeys<'a> {
    pub(super) config: &'a Config,
    pub(super) env: &'a Env,
    pub(super) now: UnixTime,
}

impl SigningKeySource<CryptoKey> for EdgeKeys<'_> {
    async fn signing_key(&self) -> Result<ActiveSigningKey<CryptoKey>, InternalError> {
        signing_key(self.config, self.env, self.now).await
    }
}

/// Ensures the bootstrap clients (one D1 batch each) and the first super_admin, once per
/// isolate.
pub(super) async fn ensure_bootstrap(config: &Config, store: &D1Store, now: UnixTime) -> Result<(), InternalError> {
    if BOOTSTRAPPED.with(Cell::get) {
        return Ok(());
    }
    bootstrap::ensure_clients(store, config, now).await?;
    bootstrap::ensure_super_admin(store, config, &SystemRandom, now).await?;
    BOOTSTRAPPED.with(|b| b.set(true));
    Ok(())
}

/// Reads a form body: `application/x-www-form-urlencoded` only (RFC 6749 §3.2), at most
/// [`MAX_FORM_BODY`] bytes, each parameter once (§3.1).
pub(super) async fn read_form(req: &mut Request) -> Result<Form, TokenError> {
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type != "application/x-www-form-urlencoded" {
        return Err(TokenError::InvalidRequest(
            "the request body must be application/x-www-form-urlencoded (RFC 6749 §3.2)".into(),
        ));
    }
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BODY) {
        return Err(TokenError::TooLarge { limit: MAX_FORM_BODY });
    }
    let body = req.bytes().await.map_err(|e| TokenError::InvalidRequest(format!("the body could not be read: {e}")))?;
    if body.len() > MAX_FORM_BODY {
        return Err(TokenError::TooLarge { limit: MAX_FORM_BODY });
    }
    Form::parse(&body).map_err(|e| TokenError::InvalidRequest(e.describe()))
}

/// The token family's form endpoints: `/token` (RFC 6749 §3.2), `/token/introspect`
/// (RFC 7662) and `/token/revoke` (RFC 7009). Every answer, success or error, carries
/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
async fn token(mut req: Request, operation: TokenOperation, config: &Config, env: &Env) -> Response {
    let now = now();
    let result = async {
        let form = read_form(&mut req).await?;
        let store = db(env)?;
        ensure_bootstrap(config, &store, now).await?;
        let authorization = req.headers().get("Authorization").ok().flatten();
        let authorization = authorization.as_deref();
        let keys = EdgeKeys { config, env, now };
        let verifier = EdgeVerifier { store: &store, now };
        let meta = request_meta(&req);
        let endpoint = TokenEndpoint {
            config,
            store: &store,
            signer: &WebCryptoSigner,
            keys: &keys,
            rng: &SystemRandom,
            verifier: &verifier,
            meta: &meta,
            now,
        };
        match operation {
            TokenOperation::Issue => endpoint.handle(authorization, &form).await.map(|r| respond::json(200, &r)),
            TokenOperation::DeviceAuthorization => {
                endpoint.device_authorization(authorization, &form).await.map(|r| respond::json(200, &r))
            }
            TokenOperation::Introspect => {
                endpoint.introspect(authorization, &form).await.map(|r| respond::json(200, &r))
            }
            // RFC 7009 §2.2: 200, and the body is ignored.
            TokenOperation::Revoke => endpoint.revoke(authorization, &form).await.map(|()| respond::empty(200)),
        }
    }
    .await;
    let response = result.unwrap_or_else(|e| respond::error(&e));
    let response = with_header(response, "Cache-Control", "no-store");
    with_header(response, "Pragma", "no-cache")
}

/// `GET/POST /userinfo` (OIDC Core §5.3): the token in the Bearer header (RFC 6750 §2.1)
/// or, for POST, in a form body (§2.2). Errors carry `WWW-Authenticate: Bearer` (§3).
/// Browser apps call it cross-origin, so it answers CORS for any origin (no cookies).
async fn userinfo(mut req: Request, config: &Config, env: &Env) -> Response {
    let response = if req.method() == Method::Options {
        let response = respond::empty(204);
        let response = with_header(response, "Access-Control-Allow-Methods", "GET, POST");
        let response = with_header(response, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        with_header(response, "Access-Control-Max-Age", "600")
    } else {
        let now = now();
        let result = async {
            let authorization = req.headers().get("Authorization").ok().flatten();
            let form = if req.method() == Method::Post && authorization.is_none() {
                Some(
                    read_form(&mut req)
                        .await
                        .map_err(|e| BearerError::InvalidRequest(e.description().unwrap_or_default()))?,
                )
            } else {
                None
            };
            let token = presented_token(authorization.as_deref(), form.as_ref().and_then(|f| f.get("access_token")))?;
            let store = db(env)?;
            let verifier = EdgeVerifier { store: &store, now };
            engine_userinfo(token, config, &store, &WebCryptoSigner, &verifier, now).await
        }
        .await;
        match result {
            Ok(claims) => respond::json(200, &claims),
            Err(e) => respond::error(&e),
        }
    };
    let response = with_header(response, "Access-Control-Allow-Origin", "*");
    with_header(response, "Cache-Control", "no-store")
}

/// The caller's address (Cloudflare puts it in `CF-Connecting-IP`) and user agent.
pub(super) fn request_meta(req: &Request) -> RequestMeta {
    let header = |name: &str| req.headers().get(name).ok().flatten().filter(|v| !v.is_empty());
    RequestMeta { ip_address: header("CF-Connecting-IP"), user_agent: header("User-Agent") }
}

/// Public keys for verifying presented tokens, cached per isolate like the signer.
pub(super) struct EdgeVerifier<'a> {
    pub(super) store: &'a D1Store,
    pub(super) now: UnixTime,
}

impl VerificationKeySource<CryptoKey> for EdgeVerifier<'_> {
    async fn verification_key(&self, kid: &str) -> Result<Option<CryptoKey>, InternalError> {
        let cached = VERIFIERS.with(|v| v.borrow().lookup(kid, self.now));
        match cached {
            KeyLookup::Found(key) => return Ok(Some(key)),
            KeyLookup::Unknown => return Ok(None),
            KeyLookup::Reload => {}
        }
        let keys = access_token::import_published_keys(self.store, &WebCryptoSigner, self.now).await?;
        let found = keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key.clone());
        VERIFIERS.with(|v| v.borrow_mut().replace(keys, self.now));
        Ok(found)
    }
}

/// A page of the SPA: the assets binding answers files, and index.html for any other path
/// (`not_found_handling = "single-page-application"` in wrangler.toml).
async fn page(req: Request, env: &Env) -> Response {
    let assets = match env.assets("ASSETS") {
        Ok(a) => a,
        Err(e) => return respond::error(&ApiError::Internal(InternalError::new(format!("binding ASSETS: {e}")))),
    };
    match assets.fetch_request(req).await {
        Ok(response) => response,
        Err(e) => respond::error(&ApiError::Internal(InternalError::new(format!("assets fetch: {e}")))),
    }
}
