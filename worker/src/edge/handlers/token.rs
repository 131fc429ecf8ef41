//! The token family's form endpoints: `/token` (RFC 6749 §3.2), `/device` (RFC 8628
//! §3.1), `/token/introspect` (RFC 7662) and `/token/revoke` (RFC 7009), and UserInfo
//! (OIDC Core §5.3).

use worker::{Method, Request, Response};

use crate::edge::adapters::webcrypto::WebCryptoSigner;
use crate::edge::context::Cx;
use crate::edge::limits;
use crate::edge::request::{authorization, read_form};
use crate::edge::respond;
use crate::engine::clients::Credentials;
use crate::engine::identity::rate_limit;
use crate::engine::oauth::token::{TokenEndpoint, TokenError};
use crate::engine::oauth::userinfo::{presented_token, userinfo as engine_userinfo, BearerError};
use crate::engine::ops::metrics;
use crate::engine::platform::error::ErrorResponse;
use crate::engine::platform::ports::SystemRandom;
use crate::routes::Endpoint;
use shared::oauth::grant;

/// Every answer of the token family, success or error, carries `Cache-Control: no-store`
/// and `Pragma: no-cache` (RFC 6749 §5.1).
///
/// A browser's request (one with `Origin`) is answered with CORS headers for that origin
/// unless the client's redirect URIs do not include it (`engine::oauth::cors`); errors
/// from before the client is known are readable too, so an app can show them.
pub async fn token(cx: &Cx<'_>, mut req: Request, endpoint: Endpoint) -> Response {
    let origin = origin(&req);
    let mut quota = None;
    let mut issued_as: Option<(String, String)> = None;
    let result = async {
        let form = read_form(&mut req).await?;
        let authorization = authorization(&req);
        let authorization = authorization.as_deref();
        let client_id = Credentials::from_request(authorization, &form).ok().map(|c| c.client_id().to_owned());
        // Metric labels: a grant type the server knows and, once the request succeeds, its
        // (then authenticated) client; never free text from the request.
        let grant_type = form.get("grant_type").filter(|g| grant::ALL.contains(g)).unwrap_or("other");
        issued_as = Some((grant_type.to_owned(), client_id.clone().unwrap_or_default()));
        let username = form.get("username").filter(|_| form.get("grant_type") == Some(grant::PASSWORD));
        let subject =
            rate_limit::token_subject(cx.config, cx.meta.ip_address.as_deref(), client_id.as_deref(), username);
        quota = limits::token_limit(cx, subject).await?;
        cx.ensure_bootstrap().await?;
        let (keys, verifier) = (cx.keys(), cx.verifier());
        let endpoint_state = TokenEndpoint {
            config: cx.config,
            store: &cx.store,
            signer: &WebCryptoSigner,
            keys: &keys,
            rng: &SystemRandom,
            verifier: &verifier,
            meta: &cx.meta,
            origin: origin.as_deref(),
            now: cx.now,
            now_ms: cx.now_ms,
        };
        // LOCKOUT_BY_IP for the password grant as for browser sign-in (rate_limit.rs).
        let password_grant = endpoint == Endpoint::Token && form.get("grant_type") == Some(grant::PASSWORD);
        let ip = cx.meta.ip_address.as_deref();
        if password_grant {
            rate_limit::ip_lockout_check(&cx.kv, cx.config, ip, cx.now).await?;
        }
        match endpoint {
            Endpoint::DeviceAuthorization => {
                endpoint_state.device_authorization(authorization, &form).await.map(|r| respond::json(200, &r))
            }
            Endpoint::Introspect => {
                endpoint_state.introspect(authorization, &form).await.map(|r| respond::json(200, &r))
            }
            // RFC 7009 §2.2: 200, and the body is ignored.
            Endpoint::Revoke => endpoint_state.revoke(authorization, &form).await.map(|()| respond::empty(200)),
            _ => {
                let result = endpoint_state.handle(authorization, &form).await;
                if password_grant && matches!(result, Err(TokenError::InvalidGrant(_))) {
                    rate_limit::ip_lockout_count(&cx.kv, cx.config, ip, cx.now).await?;
                }
                result.map(|r| respond::json(200, &r))
            }
        }
    }
    .await;
    if endpoint == Endpoint::Token {
        match (&result, &issued_as) {
            (Ok(_), Some((grant_type, client))) => {
                metrics::count("authority_tokens_issued_total", &[("grant", grant_type), ("client", client)]);
            }
            (Err(e), _) => metrics::count("authority_token_errors_total", &[("error", e.code())]),
            (Ok(_), None) => {}
        }
    }
    let readable = !matches!(result, Err(TokenError::OriginNotAllowed));
    let response = result.unwrap_or_else(|e: TokenError| respond::error(&e));
    let response = limits::with_quota(response, quota.as_ref());
    let response = with_cors(response, origin.as_deref(), readable);
    let response = respond::with_header(response, "Cache-Control", "no-store");
    respond::with_header(response, "Pragma", "no-cache")
}

/// `GET/POST /userinfo` (OIDC Core §5.3): the token in the Bearer header (RFC 6750 §2.1)
/// or, for POST, in a form body (§2.2). Errors carry `WWW-Authenticate: Bearer` (§3).
/// Browser apps call it from an origin of their client's redirect URIs (as `/token`).
pub async fn userinfo(cx: &Cx<'_>, mut req: Request) -> Response {
    let origin = origin(&req);
    let result = async {
        let authorization = authorization(&req);
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
        let verifier = cx.verifier();
        engine_userinfo(token, origin.as_deref(), cx.config, &cx.store, &WebCryptoSigner, &verifier, cx.now).await
    }
    .await;
    let readable = !matches!(result, Err(BearerError::OriginNotAllowed));
    let response = match result {
        Ok(claims) => respond::json(200, &claims),
        Err(e) => respond::error(&e),
    };
    let response = with_cors(response, origin.as_deref(), readable);
    respond::with_header(response, "Cache-Control", "no-store")
}

/// The request's `Origin` header: present on a browser's cross-origin (and same-origin
/// POST) requests, absent from server-side clients.
fn origin(req: &Request) -> Option<String> {
    req.headers().get("Origin").ok().flatten()
}

fn with_cors(response: Response, origin: Option<&str>, readable: bool) -> Response {
    match origin {
        Some(origin) if readable => respond::allow_origin(response, origin),
        _ => response,
    }
}
