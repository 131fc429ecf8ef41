//! Outbound HTTP to identity providers and relying parties through the Workers `fetch`.
//! Every call has a deadline and follows no redirect (a provider or a client's
//! back-channel URI that answers 3xx gets no second request, to any host), and answers
//! larger than [`MAX_BODY_BYTES`] are refused unread.

use base64::Engine;
use std::time::Duration;
use wasm_bindgen::JsValue;

use futures_util::future::{select, Either};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{HttpClient, HttpReply};

pub struct FetchHttp;

const USER_AGENT: &str = "Authority (OAuth 2.0 / OpenID Connect server)";

fn failed(url: &str) -> impl Fn(worker::Error) -> InternalError + '_ {
    move |e| InternalError::new(format!("fetch {url}: {e}"))
}

/// How long a call may take, answer included.
const DEADLINE: Duration = Duration::from_secs(10);

/// The largest answer read (a provider's JSON documents are a few KB).
const MAX_BODY_BYTES: usize = 1 << 20;

async fn send(url: &str, init: &mut RequestInit) -> Result<HttpReply, InternalError> {
    init.with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(url, init).map_err(failed(url))?;
    let call = Box::pin(async {
        let mut response = Fetch::Request(request).send().await.map_err(failed(url))?;
        let declared = response.headers().get("Content-Length").ok().flatten().and_then(|n| n.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(InternalError::new(format!("fetch {url}: an answer of more than {MAX_BODY_BYTES} bytes")));
        }
        let body = response.text().await.map_err(failed(url))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(InternalError::new(format!("fetch {url}: an answer of more than {MAX_BODY_BYTES} bytes")));
        }
        let cache_control = response.headers().get("Cache-Control").ok().flatten();
        Ok(HttpReply { status: response.status_code(), body, cache_control })
    });
    match select(call, Delay::from(DEADLINE)).await {
        Either::Left((reply, _)) => reply,
        Either::Right(_) => Err(InternalError::new(format!("fetch {url}: no answer within {} s", DEADLINE.as_secs()))),
    }
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
        send(url, &mut init).await
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
        send(url, &mut init).await
    }
}
