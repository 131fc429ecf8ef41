//! Typed calls to the worker's JSON endpoints.

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use shared::api::ErrorBody;

/// GETs `path` and decodes the body as `T`; a failure is a sentence for the screen.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = Request::get(path).send().await.map_err(|e| format!("The server could not be reached ({e})."))?;
    if response.ok() || (response.status() == 503 && path == "/health") {
        return response.json::<T>().await.map_err(|e| format!("The server sent an unexpected answer ({e})."));
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(body.error_description.unwrap_or(body.error)),
        Err(_) => Err(format!("The server answered {}.", response.status())),
    }
}
