//! Mail leaves through the provider's HTTP API (`EMAIL_PROVIDER=http`): Workers cannot
//! speak SMTP.

use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::engine::identity::mail::MailTransport;

/// POSTs mail as JSON to the provider (`EMAIL_PROVIDER=http`).
pub struct FetchMail;

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
