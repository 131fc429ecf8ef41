//! The one place where engine outcomes and errors become HTTP responses, and where every
//! response gets its security headers.

use serde::Serialize;
use shared::api::ErrorBody;
use worker::{Headers, Response};

use crate::engine::platform::error::ErrorResponse;
pub use crate::routes::{Cors, Kind};

/// A JSON response. Serialising our own types cannot fail; if it ever did, the answer is
/// still a JSON `server_error`, never a bare 500.
/// Only the serialisation is generic: the response around it is built once, not per type.
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    serialised(status, serde_json::to_vec(body))
}

fn serialised(status: u16, bytes: Result<Vec<u8>, serde_json::Error>) -> Response {
    match bytes {
        Ok(bytes) => json_bytes(status, bytes),
        Err(e) => {
            log::error!("serialising a response failed: {e}");
            last_resort()
        }
    }
}

/// A JSON response from an already serialised body (a cached document).
pub fn json_text(status: u16, body: String) -> Response {
    json_bytes(status, body.into_bytes())
}

fn json_bytes(status: u16, body: Vec<u8>) -> Response {
    let mut response = Response::from_bytes(body).unwrap_or_else(|_| last_resort()).with_status(status);
    set(response.headers_mut(), "Content-Type", "application/json");
    response
}

/// Marks a response about a person (their profile, sessions, mail) as never to be cached.
pub fn set_no_store(mut response: Response) -> Response {
    set(response.headers_mut(), "Cache-Control", "no-store");
    response
}

/// A response with no body.
pub fn empty(status: u16) -> Response {
    Response::builder().with_status(status).empty()
}

/// Maps any endpoint family's error to its RFC status and body; logs internal details.
pub fn error(e: &impl ErrorResponse) -> Response {
    if let Some(detail) = e.log_detail() {
        log::error!("{} ({}): {detail}", e.code(), e.status());
    }
    let body = ErrorBody {
        error: e.code().to_owned(),
        error_description: e.description(),
        details: e.details(),
        retry_after: e.retry_after(),
    };
    let mut response = json(e.status(), &body);
    if let Some(seconds) = e.retry_after() {
        set(response.headers_mut(), "Retry-After", &seconds.to_string());
    }
    if let Some((limit, reset)) = e.rate_limit() {
        set_rate_limit(response.headers_mut(), limit, 0, reset);
    }
    if let Some(allow) = e.allow() {
        set(response.headers_mut(), "Allow", allow);
    }
    if let Some(challenge) = e.www_authenticate() {
        set(response.headers_mut(), "WWW-Authenticate", &challenge);
    }
    response
}

fn last_resort() -> Response {
    let body = r#"{"error":"server_error","error_description":"the server could not complete the request"}"#;
    let mut response = Response::from_bytes(body.as_bytes().to_vec())
        .unwrap_or_else(|_| Response::builder().with_status(500).fixed(body.as_bytes().to_vec()))
        .with_status(500);
    set(response.headers_mut(), "Content-Type", "application/json");
    response
}

pub fn set(headers: &mut Headers, name: &str, value: &str) {
    if let Err(e) = headers.set(name, value) {
        log::error!("setting header {name}: {e}");
    }
}

/// `response` with header `name` set.
pub fn with_header(mut response: Response, name: &str, value: &str) -> Response {
    set(response.headers_mut(), name, value);
    response
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix seconds; docs/api.md, "Errors").
pub fn set_rate_limit(headers: &mut Headers, limit: u32, remaining: u32, reset: i64) {
    set(headers, "X-RateLimit-Limit", &limit.to_string());
    set(headers, "X-RateLimit-Remaining", &remaining.to_string());
    set(headers, "X-RateLimit-Reset", &reset.to_string());
}

/// The CORS preflight answer (Fetch standard §3.2.2) for a route with a CORS policy:
/// its methods and the request headers browser apps send (`Authorization` for Bearer and
/// Basic, `Content-Type`, `DPoP`). For client-bound routes any origin passes the preflight:
/// it carries no client, so the real request is judged once the client is known.
pub fn preflight(allow: &str, origin: Option<&str>, cors: Cors) -> Response {
    let methods: Vec<&str> = allow.split(", ").filter(|m| *m != "OPTIONS").collect();
    let mut response = empty(204);
    let headers = response.headers_mut();
    set(headers, "Access-Control-Allow-Methods", &methods.join(", "));
    set(headers, "Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP");
    set(headers, "Access-Control-Max-Age", "600");
    match (cors, origin) {
        (Cors::AnyOrigin, _) => set(headers, "Access-Control-Allow-Origin", "*"),
        (Cors::Client, Some(origin)) => allow_origin_on(headers, origin),
        _ => {}
    }
    response
}

/// `response` readable by a page on `origin` (never with credentials: these endpoints use
/// no cookies). `Vary: Origin` keeps caches from serving it to another origin.
pub fn allow_origin(mut response: Response, origin: &str) -> Response {
    allow_origin_on(response.headers_mut(), origin);
    response
}

fn allow_origin_on(headers: &mut Headers, origin: &str) {
    set(headers, "Access-Control-Allow-Origin", origin);
    if let Err(e) = headers.append("Vary", "Origin") {
        log::error!("setting header Vary: {e}");
    }
}

/// A 303 to `location`, never cached.
pub fn redirect(location: &str) -> Response {
    let mut response = empty(303);
    set(response.headers_mut(), "Location", location);
    set(response.headers_mut(), "Cache-Control", "no-store");
    response
}

/// Content-Security-Policy of the SPA: its own scripts and wasm only, no framing
/// (clickjacking on sign-in and consent screens), no foreign form targets.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";
/// JSON never needs to load or frame anything.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the security headers to any response, including ones from the assets binding
/// (whose headers are immutable, hence the copy into a fresh `Headers`).
pub fn finish(response: Response, kind: Kind, https: bool) -> Response {
    let status = response.status_code();
    let original = response.headers().clone();
    let (builder, body) = response.into_parts();
    let mut headers = Headers::new();
    for (name, value) in original.entries() {
        // Each Set-Cookie is its own header line (RFC 6265 §3); the others are single.
        if name.eq_ignore_ascii_case("set-cookie") {
            if let Err(e) = headers.append(&name, &value) {
                log::error!("appending header {name}: {e}");
            }
        } else {
            set(&mut headers, &name, &value);
        }
    }
    set(&mut headers, "X-Content-Type-Options", "nosniff");
    set(&mut headers, "Referrer-Policy", "no-referrer");
    set(&mut headers, "X-Frame-Options", "DENY");
    match kind {
        Kind::Api => {
            set(&mut headers, "Content-Security-Policy", API_CSP);
            if !headers.has("Cache-Control").unwrap_or(false) {
                set(&mut headers, "Cache-Control", "no-store");
            }
        }
        // A page that set its own policy (form_post) keeps it.
        Kind::Page if !headers.has("Content-Security-Policy").unwrap_or(false) => {
            set(&mut headers, "Content-Security-Policy", PAGE_CSP)
        }
        Kind::Page => {}
    }
    if https {
        // RFC 6797; only meaningful (and only honoured) over https.
        set(&mut headers, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
    builder.with_status(status).with_headers(headers).body(body)
}
