//! Reading a request: cookies, form and JSON bodies, query parameters, the CSRF checks of
//! the browser's calls, and the session a browser is signed in with. Writing our cookies
//! is here too, beside reading them.

use serde::de::DeserializeOwned;
use shared::codes;
use shared::mfa::SignInStep;
use shared::session::{SessionUser, CSRF_HEADER};
use worker::{Request, Response};

use crate::edge::context::Cx;
use crate::edge::respond;
use crate::engine::identity::csrf::{self, CSRF_COOKIE};
use crate::engine::identity::sessions::{self, Session, SESSION_COOKIE};
use crate::engine::identity::signin::pending::{Pending, CHALLENGE_COOKIE, CHALLENGE_SECONDS};
use crate::engine::identity::signin::Basis;
use crate::engine::identity::signin::SignInOutcome;
use crate::engine::identity::users::User;
use crate::engine::oauth::token::TokenError;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{SystemRandom, UnixTime};
use crate::engine::tables::users::user_of_session;

/// Token requests are a few hundred bytes; anything near this is not a token request.
const MAX_FORM_BODY: usize = 64 * 1024;
/// JSON bodies of the session and admin APIs are a few hundred bytes.
const MAX_JSON_BODY: usize = 16 * 1024;

/// The value of cookie `name` in the request's `Cookie` header.
pub fn cookie(req: &Request, config: &Config, name: &str) -> Option<String> {
    let name = cookie_name(config, name);
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// The name a cookie goes by: on https with the `__Host-` prefix (RFC 6265bis §4.1.3.2:
/// only accepted with Secure, Path=/ and no Domain, so no subdomain can set or shadow it).
fn cookie_name(config: &Config, name: &str) -> String {
    if config.is_https() {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// `Set-Cookie` for our cookies: HttpOnly, SameSite=Lax (the top-level redirect back
/// from an app must carry the session), Secure on https, the whole origin.
pub fn set_cookie(response: &mut Response, config: &Config, name: &str, value: &str, max_age: Option<i64>) {
    let name = cookie_name(config, name);
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if config.is_https() {
        cookie.push_str("; Secure");
    }
    append_cookie(response, cookie, max_age);
}

/// `Set-Cookie` for a cookie that must come back with a cross-site `POST` (a provider's
/// `form_post` answer): `SameSite=None`, which browsers take only with `Secure` (RFC
/// 6265bis §5.6.7; on http, browsers keep it for localhost only, enough for local runs).
pub fn set_cross_site_cookie(response: &mut Response, config: &Config, name: &str, value: &str, max_age: Option<i64>) {
    let name = cookie_name(config, name);
    append_cookie(response, format!("{name}={value}; Path=/; HttpOnly; SameSite=None; Secure"), max_age);
}

fn append_cookie(response: &mut Response, mut cookie: String, max_age: Option<i64>) {
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if let Err(e) = response.headers_mut().append("Set-Cookie", &cookie) {
        log::error!("Set-Cookie: {e}");
    }
}

/// The `Authorization` header, if any.
pub fn authorization(req: &Request) -> Option<String> {
    req.headers().get("Authorization").ok().flatten()
}

/// Reads a form body: `application/x-www-form-urlencoded` only (RFC 6749 §3.2), at most
/// [`MAX_FORM_BODY`] bytes, each parameter once (§3.1).
pub async fn read_form(req: &mut Request) -> Result<Form, TokenError> {
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type != "application/x-www-form-urlencoded" {
        return Err(TokenError::InvalidRequest(
            "the request body must be application/x-www-form-urlencoded (RFC 6749 §3.2)".into(),
        ));
    }
    let body = match read_capped(req, MAX_FORM_BODY).await {
        Ok(body) => body,
        Err(Capped::TooLarge) => return Err(TokenError::TooLarge { limit: MAX_FORM_BODY }),
        Err(Capped::Unreadable(e)) => {
            return Err(TokenError::InvalidRequest(format!("the body could not be read: {e}")))
        }
    };
    Form::parse(&body).map_err(|e| TokenError::InvalidRequest(e.describe()))
}

/// Why a body was not read.
enum Capped {
    TooLarge,
    Unreadable(String),
}

/// The body, read only while it stays within `limit` bytes: a declared larger length is
/// refused before anything is read, and a longer stream is dropped at the limit, so no
/// request makes the worker hold more than `limit` bytes of it.
async fn read_capped(req: &mut Request, limit: usize) -> Result<Vec<u8>, Capped> {
    use futures_util::StreamExt;
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|v| v.trim().parse::<usize>().ok());
    match declared {
        Some(n) if n > limit => return Err(Capped::TooLarge),
        // A declared length within the limit: the runtime holds the body to that length,
        // and one read is cheaper than a stream of chunks across the wasm boundary.
        Some(_) => {
            let body = req.bytes().await.map_err(|e| Capped::Unreadable(e.to_string()))?;
            return if body.len() > limit { Err(Capped::TooLarge) } else { Ok(body) };
        }
        None => {}
    }
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else { return Ok(body) }; // no body at all
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Capped::Unreadable(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(Capped::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON body of at most [`MAX_JSON_BODY`] bytes.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    let content_type = req.headers().get("Content-Type").ok().flatten().unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::bad_request(codes::INVALID_REQUEST, "the body must be application/json"));
    }
    let body = match read_capped(req, MAX_JSON_BODY).await {
        Ok(body) => body,
        Err(Capped::TooLarge) => return Err(ApiError::refused(413, codes::INVALID_REQUEST, "the body is too large")),
        Err(Capped::Unreadable(e)) => {
            return Err(ApiError::bad_request(codes::INVALID_REQUEST, format!("unreadable body: {e}")))
        }
    };
    crate::engine::platform::json::parse(&body)
        .map_err(|e| ApiError::bad_request(codes::INVALID_REQUEST, format!("malformed JSON: {e}")))
}

/// The query string, undecoded.
pub fn query_string(req: &Request) -> String {
    req.url().ok().and_then(|u| u.query().map(str::to_owned)).unwrap_or_default()
}

/// The query string's parameters (each once).
pub fn query(req: &Request) -> Result<Form, ApiError> {
    Form::parse(query_string(req).as_bytes()).map_err(|e| ApiError::bad_request(codes::INVALID_REQUEST, e.describe()))
}

/// `limit` (1–200, default 50) and `offset` (default 0) of a list endpoint (docs/api.md,
/// "Admin and account API").
pub fn paging(params: &Form) -> Result<(u32, u32), ApiError> {
    let number = |name: &str, default: u32, max: u32| -> Result<u32, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| ApiError::invalid(name, format!("must be a whole number from 0 to {max}"))),
        }
    };
    Ok((number("limit", 50, 200)?.max(1), number("offset", 0, u32::MAX)?))
}

/// The longest `search` a list endpoint takes: longer text names no user or client and
/// only makes the scan slower.
pub const SEARCH_MAX_CHARS: usize = 100;

/// `search` of a list endpoint: trimmed, empty as absent, at most [`SEARCH_MAX_CHARS`].
pub fn search(params: &Form) -> Result<Option<String>, ApiError> {
    match params.get("search").map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > SEARCH_MAX_CHARS => {
            Err(ApiError::invalid("search", format!("must be at most {SEARCH_MAX_CHARS} characters")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// A browser's request from another origin is refused (scripts send no `Origin`).
pub fn check_origin(req: &Request, config: &Config) -> Result<(), ApiError> {
    match req.headers().get("Origin").ok().flatten() {
        // The issuer may carry a path; the browser's Origin never does.
        Some(origin) if config.origin() != origin => Err(ApiError::csrf()),
        _ => Ok(()),
    }
}

/// State-changing calls: same origin (when the browser says), and the CSRF header echoing
/// the cookie (double submit).
pub fn check_csrf(req: &Request, config: &Config) -> Result<(), ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    check_origin(req, config)?;
    let session = cookie(req, config, SESSION_COOKIE);
    let token = cookie(req, config, CSRF_COOKIE);
    if csrf::valid(&config.secret_key, session.as_deref(), token.as_deref(), header(CSRF_HEADER).as_deref()) {
        Ok(())
    } else {
        Err(ApiError::csrf())
    }
}

/// The CSRF token of this browser: the cookie's value while it is bound to the session
/// the browser has now, else a new one (then `fresh`: set it with [`with_csrf_cookie`]).
pub fn csrf_token(req: &Request, config: &Config) -> Result<(String, bool), InternalError> {
    let session = cookie(req, config, SESSION_COOKIE);
    csrf_token_for(req, config, session.as_deref())
}

/// [`csrf_token`] for `session`, the session cookie the browser is about to have (sign-in).
pub fn csrf_token_for(req: &Request, config: &Config, session: Option<&str>) -> Result<(String, bool), InternalError> {
    match cookie(req, config, CSRF_COOKIE).filter(|t| csrf::bound(&config.secret_key, session, t)) {
        Some(token) => Ok((token, false)),
        None => Ok((csrf::issue(&config.secret_key, session, &SystemRandom)?, true)),
    }
}

/// Sets the CSRF cookie when the token is new.
pub fn with_csrf_cookie(mut response: Response, config: &Config, token: &str, fresh: bool) -> Response {
    if fresh {
        set_cookie(&mut response, config, CSRF_COOKIE, token, None);
    }
    response
}

/// The answer to a step of a sign-in, as `body` builds it from the CSRF token, the person
/// (once signed in) and the step that comes next. A started session sets its cookie and a
/// CSRF token bound to it, and clears the challenge; a step still to come clears the
/// session cookie and sets the sealed challenge, with a CSRF token bound to no session.
pub fn sign_in_answer<B: serde::Serialize>(
    req: &Request,
    config: &Config,
    outcome: SignInOutcome,
    now: UnixTime,
    body: impl FnOnce(String, Option<SessionUser>, Option<SignInStep>) -> B,
) -> Result<Response, InternalError> {
    match outcome {
        SignInOutcome::SignedIn(done, step) => {
            if let Some(e) = &done.notice_failed {
                log::error!("sign-in mail for {}: {e}", done.user.id);
            }
            let user =
                SessionUser { id: done.user.id.clone(), email: done.user.email.clone(), name: done.user.name.clone() };
            let (token, fresh) = csrf_token_for(req, config, Some(&done.cookie))?;
            let answer = body(token.clone(), Some(user), step);
            let mut response = with_csrf_cookie(respond::json(200, &answer), config, &token, fresh);
            set_cookie(&mut response, config, SESSION_COOKIE, &done.cookie, Some(done.session.expires_at - now));
            set_cookie(&mut response, config, CHALLENGE_COOKIE, "", Some(0));
            Ok(response)
        }
        SignInOutcome::SecondStep { step, challenge } => {
            let (token, fresh) = csrf_token_for(req, config, None)?;
            let answer = body(token.clone(), None, Some(step));
            let mut response = with_csrf_cookie(respond::json(200, &answer), config, &token, fresh);
            set_cookie(&mut response, config, SESSION_COOKIE, "", Some(0));
            set_cookie(&mut response, config, CHALLENGE_COOKIE, &challenge, Some(CHALLENGE_SECONDS));
            Ok(response)
        }
    }
}

/// What this browser holds of a sign-in: the pending one (the sealed `authority_mfa`
/// cookie, if it opens and is current), else, when `or_session`, its live session. The
/// one place the pending sign-in is read from a request.
pub async fn sign_in_state(req: &Request, cx: &Cx<'_>, or_session: bool) -> Result<Option<Basis>, InternalError> {
    if let Some(pending) = cookie(req, cx.config, CHALLENGE_COOKIE).and_then(|v| Pending::open(cx.config, &v, cx.now)) {
        return Ok(Some(Basis::Pending(pending)));
    }
    if !or_session {
        return Ok(None);
    }
    Ok(current(req, cx).await?.map(|(session, _)| Basis::Session(session)))
}

/// The live session of this browser and its (active) user.
pub async fn current(req: &Request, cx: &Cx<'_>) -> Result<Option<(Session, User)>, InternalError> {
    let Some(value) = cookie(req, cx.config, SESSION_COOKIE) else { return Ok(None) };
    let Some(session) = sessions::load(&cx.kv, &cx.store, cx.config, &value, cx.now).await? else { return Ok(None) };
    match user_of_session(&cx.store, &session).await? {
        Some(user) if user.active => Ok(Some((session, user))),
        _ => Ok(None),
    }
}

/// [`current`], or `401 login_required` with `description`.
pub async fn signed_in(req: &Request, cx: &Cx<'_>, description: &str) -> Result<(Session, User), ApiError> {
    current(req, cx).await?.ok_or_else(|| ApiError::unauthorized(codes::LOGIN_REQUIRED, description))
}
