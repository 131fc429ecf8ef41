//! Typed calls to the worker's JSON endpoints, over the browser's `fetch` through
//! `gloo-net` (docs/architecture.md, "Dependencies and why").

use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::{ArcRwSignal, Set};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api::ErrorBody;
use shared::paths;
use shared::session::{SessionInfo, CSRF_HEADER};

/// An answer: its status and its body as text.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body decoded as `T`; a failure is a sentence for the screen.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        from_json(&self.body).map_err(|e| format!("The server sent an unexpected answer ({e})."))
    }

    /// A sentence for the screen from an error answer; a validation error lists every
    /// field's problem.
    pub fn failure(&self) -> String {
        match from_json::<ErrorBody>(&self.body) {
            Ok(body) if body.details.len() > 1 => body
                .details
                .iter()
                .map(|d| format!("{}.", d.message.trim_end_matches('.')))
                .collect::<Vec<_>>()
                .join(" "),
            // In the person's language where the catalogue has the sentence (docs/i18n.md).
            Ok(body) => match crate::i18n::current().from_server(&body.error, body.error_description.as_deref()) {
                Some(said) => said.to_owned(),
                None => body.error_description.unwrap_or(body.error),
            },
            Err(_) => {
                shared::i18n::fill(crate::i18n::current().server_answered, &[("status", &self.status.to_string())])
            }
        }
    }
}

thread_local! {
    static REAUTHENTICATION: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Set when the server answered `reauthentication_required` (a change to how one signs in
/// needs a recent sign-in, docs/security.md): the account page then asks for the password
/// inline, and clears it once confirmed.
pub fn reauthentication_needed() -> ArcRwSignal<bool> {
    REAUTHENTICATION.with(Clone::clone)
}

/// `fetch(path)` with `method`, `headers` and an optional text `body`.
pub async fn fetch(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Result<Reply, String> {
    let method = match method {
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        _ => Method::GET,
    };
    let mut request = RequestBuilder::new(path).method(method);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = match body {
        Some(body) => request.body(body.to_owned()),
        None => request.build(),
    }
    .map_err(|e| format!("The request could not be built ({e})."))?;
    let unreachable =
        |e: gloo_net::Error| shared::i18n::fill(crate::i18n::current().server_unreachable, &[("e", &e.to_string())]);
    let response = request.send().await.map_err(unreachable)?;
    let body = response.text().await.map_err(unreachable)?;
    let reply = Reply { status: response.status(), body };
    if reply.status == 403
        && from_json::<ErrorBody>(&reply.body).is_ok_and(|e| e.error == shared::codes::REAUTHENTICATION_REQUIRED)
    {
        reauthentication_needed().set(true);
    }
    Ok(reply)
}

fn json_body<B: Serialize>(body: &B) -> Result<String, String> {
    to_json(body).map_err(|e| format!("The request could not be built ({e})."))
}

/// JSON text to `T` through the browser's own parser (`JSON.parse`) and
/// `serde-wasm-bindgen`: no JSON parser in the module (docs/architecture.md,
/// "Dependencies and why").
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// `value` as JSON text through the browser's `JSON.stringify`, the way `serde_json`
/// writes it: maps as objects, `None` as `null`, integers as numbers.
pub fn to_json<B: Serialize + ?Sized>(value: &B) -> Result<String, String> {
    let js = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())?;
    js_sys::JSON::stringify(&js).map(String::from).map_err(|_| "not serialisable".to_owned())
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

/// GETs `path` and decodes the body as `T`; a failure is a sentence for the screen.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let reply = fetch("GET", path, &[], None).await?;
    if reply.ok() || (reply.status == 503 && path == paths::HEALTH) {
        return reply.json();
    }
    Err(reply.failure())
}

/// This browser's session and CSRF token (`GET /api/session`).
pub async fn session() -> Result<SessionInfo, String> {
    get_json(paths::SESSION).await
}

/// The CSRF token: from the session already loaded, or fetched now (a quick click can
/// come before the page's own load finished).
pub async fn csrf_token(loaded: Option<Result<SessionInfo, String>>) -> Result<String, String> {
    match loaded {
        Some(Ok(info)) => Ok(info.csrf_token),
        _ => session().await.map(|info| info.csrf_token),
    }
}

/// POSTs `body` as JSON with the CSRF token and decodes the answer as `T`.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(path: &str, csrf: &str, body: &B) -> Result<T, String> {
    let reply = fetch("POST", path, &[JSON, (CSRF_HEADER, csrf)], Some(&json_body(body)?)).await?;
    if reply.ok() {
        return reply.json();
    }
    Err(reply.failure())
}

/// PATCH/DELETE/POST with the CSRF token where the answer has no body to read (204).
pub async fn send(method: &str, path: &str, csrf: &str, body: Option<&serde_json::Value>) -> Result<(), String> {
    let reply = match body {
        Some(body) => fetch(method, path, &[JSON, (CSRF_HEADER, csrf)], Some(&json_body(body)?)).await?,
        None => fetch(method, path, &[(CSRF_HEADER, csrf)], None).await?,
    };
    if reply.ok() {
        Ok(())
    } else {
        Err(reply.failure())
    }
}

/// GETs `path` with the admin console's Bearer token.
pub async fn get_json_bearer<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, String> {
    let bearer = format!("Bearer {token}");
    let reply = fetch("GET", path, &[("Authorization", &bearer)], None).await?;
    if reply.ok() {
        return reply.json();
    }
    Err(reply.failure())
}

/// An admin API call with the console's Bearer token; the JSON answer (`None` for 204).
pub async fn send_bearer(
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> Result<Option<serde_json::Value>, String> {
    let bearer = format!("Bearer {token}");
    let reply = match body {
        Some(body) => fetch(method, path, &[JSON, ("Authorization", &bearer)], Some(&json_body(body)?)).await?,
        None => fetch(method, path, &[("Authorization", &bearer)], None).await?,
    };
    if !reply.ok() {
        return Err(reply.failure());
    }
    if reply.status == 204 {
        return Ok(None);
    }
    reply.json().map(Some)
}

/// Where to go after signing in (`?next=`): a place on this site only, by the rule the
/// server applies to its own return paths (`shared::return_to`), with the browser's own
/// URL parser (the one the navigation uses, and no parser in this module).
pub fn safe_next(next: Option<String>) -> Option<String> {
    let origin = leptos::prelude::window().location().origin().ok()?;
    shared::return_to::local_target_by(&next?, &origin, |value, base| {
        let base_origin = web_sys::Url::new(base).ok()?.origin();
        let url = web_sys::Url::new_with_base(value, base).ok()?;
        // `search` and `hash` carry their `?`/`#`, or are empty when there is none.
        let part = |s: String, mark: char| s.strip_prefix(mark).map(str::to_owned);
        Some(shared::return_to::Resolved {
            base_origin,
            origin: url.origin(),
            path: url.pathname(),
            query: part(url.search(), '?'),
            fragment: part(url.hash(), '#'),
        })
    })
}

/// A full-page navigation (the next page may be another site: the app's redirect URI).
pub fn navigate(url: &str) {
    if let Err(e) = leptos::prelude::window().location().set_href(url) {
        leptos::logging::error!("navigation to {url} failed: {e:?}");
    }
}
