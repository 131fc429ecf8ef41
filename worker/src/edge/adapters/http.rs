//! Outbound HTTP to identity providers through the Workers `fetch`.

use base64::Engine;
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{HttpClient, HttpReply};

pub struct FetchHttp;

const USER_AGENT: &str = "Authority (OAuth 2.0 / OpenID Connect server)";

fn failed(url: &str) -> impl Fn(worker::Error) -> InternalError + '_ {
    move |e| InternalError::new(format!("fetch {url}: {e}"))
}

async fn send(url: &str, init: &RequestInit) -> Result<HttpReply, InternalError> {
    let request = Request::new_with_init(url, init).map_err(failed(url))?;
    let mut response = Fetch::Request(request).send().await.map_err(failed(url))?;
    let body = response.text().await.map_err(failed(url))?;
    Ok(HttpReply { status: response.status_code(), body })
}

impl HttpClient for FetchHttp {
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<HttpReply, InternalError> {
        let headers = Headers::new();
        headers.set("Accept", "application/json").map_err(failed(url))?;
        // GitHub's REST API refuses requests without a User-Agent.
        headers.set("User-Agent", USER_AGENT).map_err(failed(url))?;
        if let Some(token) = bearer {
            headers.set("Authorization", &format!("Bearer {token}")).map_err(failed(url))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        send(url, &init).await
    }

    async fn post_form(&self, url: &str, body: &str, basic: Option<(&str, &str)>) -> Result<HttpReply, InternalError> {
        let headers = Headers::new();
        headers.set("Accept", "application/json").map_err(failed(url))?;
        // GitHub's REST API refuses requests without a User-Agent.
        headers.set("User-Agent", USER_AGENT).map_err(failed(url))?;
        headers.set("Content-Type", "application/x-www-form-urlencoded").map_err(failed(url))?;
        if let Some((id, secret)) = basic {
            // RFC 6749 §2.3.1: each part form-urlencoded before Basic's base64.
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
            headers.set("Authorization", &format!("Basic {credentials}")).map_err(failed(url))?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(body)));
        send(url, &init).await
    }
}
