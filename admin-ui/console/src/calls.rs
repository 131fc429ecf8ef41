//! The admin API as the console calls it: with the signed-in admin's Bearer token.

use ui_components::api::send_bearer;

use crate::auth;

fn token() -> Result<String, String> {
    auth::current().map(|s| s.access_token).ok_or_else(|| "Your admin session has ended; reload the page.".to_string())
}

/// An admin call decoded as `T` (`None` for 204).
pub async fn call<T: serde::de::DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<Option<T>, String> {
    let value = send_bearer(method, path, &token()?, body.as_ref()).await?;
    value
        .map(|v| serde_json::from_value(v).map_err(|e| format!("The server sent an unexpected answer ({e}).")))
        .transpose()
}

/// Runs an admin call for a button and reports the outcome in `status`; `reload` moves
/// so the list shows the change.
pub fn act(
    method: &'static str,
    path: String,
    body: Option<serde_json::Value>,
    done: String,
    status: leptos::prelude::RwSignal<Option<Result<String, String>>>,
    reload: leptos::prelude::RwSignal<u32>,
) {
    use leptos::prelude::{Set, Update};
    leptos::task::spawn_local(async move {
        match call::<serde_json::Value>(method, &path, body).await {
            Ok(_) => {
                status.set(Some(Ok(done)));
                reload.update(|n| *n += 1);
            }
            Err(e) => status.set(Some(Err(e))),
        }
    });
}

/// A date for people, in the browser's locale; "never" for 0.
pub fn date(t: i64) -> String {
    if t == 0 {
        return "never".into();
    }
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64 * 1000.0));
    String::from(d.to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

/// A query-string value.
pub fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}
