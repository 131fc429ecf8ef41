//! Typed calls to the worker's JSON endpoints.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api::ErrorBody;
use shared::paths;
use shared::session::{SessionInfo, CSRF_HEADER};

fn unreachable(e: gloo_net::Error) -> String {
    format!("The server could not be reached ({e}).")
}

/// A sentence for the screen from an error answer; a validation error lists every
/// field's problem.
async fn failure(response: Response) -> String {
    match response.json::<ErrorBody>().await {
        Ok(body) if body.details.len() > 1 => {
            body.details.iter().map(|d| format!("{}.", d.message.trim_end_matches('.'))).collect::<Vec<_>>().join(" ")
        }
        Ok(body) => body.error_description.unwrap_or(body.error),
        Err(_) => format!("The server answered {}.", response.status()),
    }
}

/// GETs `path` and decodes the body as `T`; a failure is a sentence for the screen.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = Request::get(path).send().await.map_err(unreachable)?;
    if response.ok() || (response.status() == 503 && path == "/health") {
        return response.json::<T>().await.map_err(|e| format!("The server sent an unexpected answer ({e})."));
    }
    Err(failure(response).await)
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
    let response = Request::post(path)
        .header(CSRF_HEADER, csrf)
        .json(body)
        .map_err(|e| format!("The request could not be built ({e})."))?
        .send()
        .await
        .map_err(unreachable)?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| format!("The server sent an unexpected answer ({e})."));
    }
    Err(failure(response).await)
}

/// PATCH/DELETE/POST with the CSRF token where the answer has no body to read (204).
pub async fn send(method: &str, path: &str, csrf: &str, body: Option<&serde_json::Value>) -> Result<(), String> {
    let builder = match method {
        "PATCH" => Request::patch(path),
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    }
    .header(CSRF_HEADER, csrf);
    let request = match body {
        Some(body) => builder.json(body).map_err(|e| format!("The request could not be built ({e})."))?,
        None => builder.build().map_err(|e| format!("The request could not be built ({e})."))?,
    };
    let response = request.send().await.map_err(unreachable)?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

/// GETs `path` with the admin console's Bearer token.
pub async fn get_json_bearer<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, String> {
    let response =
        Request::get(path).header("Authorization", &format!("Bearer {token}")).send().await.map_err(unreachable)?;
    if response.ok() {
        return response.json::<T>().await.map_err(|e| format!("The server sent an unexpected answer ({e})."));
    }
    Err(failure(response).await)
}

/// An admin API call with the console's Bearer token; the JSON answer (`None` for 204).
pub async fn send_bearer(
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> Result<Option<serde_json::Value>, String> {
    let builder = match method {
        "PATCH" => Request::patch(path),
        "DELETE" => Request::delete(path),
        "GET" => Request::get(path),
        _ => Request::post(path),
    }
    .header("Authorization", &format!("Bearer {token}"));
    let request = match body {
        Some(body) => builder.json(body).map_err(|e| format!("The request could not be built ({e})."))?,
        None => builder.build().map_err(|e| format!("The request could not be built ({e})."))?,
    };
    let response = request.send().await.map_err(unreachable)?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    if response.status() == 204 {
        return Ok(None);
    }
    response.json().await.map(Some).map_err(|e| format!("The server sent an unexpected answer ({e})."))
}

/// A same-site path to go to after signing in (`?next=`), never another site: only
/// `/...` paths, not `//host` or `/\host`.
pub fn safe_next(next: Option<String>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
}

/// A full-page navigation (the next page may be another site: the app's redirect URI).
pub fn navigate(url: &str) {
    if let Err(e) = leptos::prelude::window().location().set_href(url) {
        leptos::logging::error!("navigation to {url} failed: {e:?}");
    }
}
