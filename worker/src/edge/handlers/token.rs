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
use crate::engine::oauth::dpop;
use crate::engine::oauth::resources;
use crate::engine::oauth::token::{grant_types_supported, TokenEndpoint, TokenError, TokenRequest};
use crate::engine::oauth::userinfo::{
    dpop_scheme, presented_token, userinfo as engine_userinfo, BearerError, DpopPresentation,
};
use crate::engine::ops::metrics;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::error::ErrorResponse;
use crate::routes::Matched;

/// The token family's operations: one request reading, rate limit, metrics and answer
/// headers around each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Token,
    DeviceAuthorization,
    Introspect,
    Revoke,
    PushedAuthorizationRequest,
}

/// `POST /token` (RFC 6749 §3.2).
pub async fn token(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    Ok(family(cx, req, Op::Token).await)
}

/// `POST /device` (RFC 8628 §3.1).
pub async fn device_authorization(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    Ok(family(cx, req, Op::DeviceAuthorization).await)
}

/// `POST /par` (RFC 9126 §2).
pub async fn pushed_authorization_request(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    Ok(family(cx, req, Op::PushedAuthorizationRequest).await)
}

/// `POST /token/introspect` (RFC 7662 §2).
pub async fn introspect(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    Ok(family(cx, req, Op::Introspect).await)
}

/// `POST /token/revoke` (RFC 7009 §2).
pub async fn revoke(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    Ok(family(cx, req, Op::Revoke).await)
}

/// Every answer of the token family, success or error, carries `Cache-Control: no-store`
/// and `Pragma: no-cache` (RFC 6749 §5.1).
///
/// A browser's request (one with `Origin`) is answered with CORS headers for that origin
/// unless the client's redirect URIs do not include it (`engine::oauth::cors`); errors
/// from before the client is known are readable too, so an app can show them.
async fn family(cx: &Cx<'_>, mut req: Request, op: Op) -> Response {
    let origin = origin(&req);
    let mut quota = None;
    let mut issued_as: Option<(String, String)> = None;
    let result = async {
        // The request is read once here: the client's credentials (RFC 6749 §2.3) and, for
        // /token, its grant (§3.2). Their errors wait until the rate limit has counted the
        // request; what they name feeds the limit's subject and the metrics' labels.
        let form = read_form(&mut req).await?;
        let credentials = Credentials::from_request(authorization(&req).as_deref(), &form);
        let grant = (op == Op::Token).then(|| TokenRequest::parse(&form, &grant_types_supported(cx.config)));
        let client_id = credentials.as_ref().ok().map(|c| c.client_id().to_owned());
        let parsed = grant.as_ref().and_then(|g| g.as_ref().ok());
        // Metric labels: a grant type the server knows and, once the request succeeds, its
        // (then authenticated) client; never free text from the request.
        let grant_type = parsed.map_or("other", TokenRequest::grant_type);
        issued_as = Some((grant_type.to_owned(), client_id.clone().unwrap_or_default()));
        let username = match parsed {
            Some(TokenRequest::Password { username, .. }) => *username,
            _ => None,
        };
        let subject =
            rate_limit::token_subject(cx.config, cx.meta.ip_address.as_deref(), client_id.as_deref(), username);
        quota = limits::token_limit(cx, subject, client_id.as_deref()).await?;
        cx.ensure_bootstrap().await?;
        // RFC 9449 §4.3: a DPoP proof at /token binds what is issued to its key; at PAR
        // (§10.1) the code. The grants that read and write in one batch spend its `jti`
        // in that batch (docs/storage.md, "One trip per grant"); the others before.
        let in_batch = matches!(
            parsed,
            Some(
                TokenRequest::AuthorizationCode { .. }
                    | TokenRequest::RefreshToken { .. }
                    | TokenRequest::ClientCredentials { .. }
            )
        );
        let (dpop_jkt, dpop_unspent) = match (op, req.headers().get("DPoP").ok().flatten()) {
            (Op::Token | Op::PushedAuthorizationRequest, Some(proof)) => {
                let url = req.url().map(|u| u.to_string()).unwrap_or_default();
                let nonce_key = cx.config.security.dpop_nonces.then_some(&cx.config.secret_key);
                let expected = dpop::Expected { htm: "POST", htu: &url, access_token: None, nonce_key };
                let outcome = if in_batch {
                    let checked = dpop::check(&WebCryptoSigner, &proof, &expected, cx.now).await?;
                    checked.map(|c| (c.jkt.clone(), Some(c)))
                } else {
                    let verified = dpop::verify(&WebCryptoSigner, &cx.store, &proof, &expected, cx.now).await?;
                    verified.map(|p| (p.jkt, None))
                };
                match outcome {
                    Ok((jkt, unspent)) => (Some(jkt), unspent),
                    Err(dpop::Refused::UseNonce) => return Err(TokenError::UseDpopNonce),
                    Err(dpop::Refused::Invalid(why)) => return Err(TokenError::InvalidDpopProof(why)),
                }
            }
            _ => (None, None),
        };
        let family = TokenEndpoint {
            rc: cx.request_context(),
            origin: origin.as_deref(),
            dpop_jkt: dpop_jkt.as_deref(),
            dpop_unspent: dpop_unspent.as_ref(),
        };
        match (op, grant) {
            (Op::Token, Some(grant)) => {
                let grant = grant?;
                let resources = resources::requested(&form).map_err(TokenError::InvalidTarget)?;
                family.handle(&credentials?, grant, &resources).await.map(|r| respond::json(200, &r))
            }
            (Op::Token, None) => Err(TokenError::InvalidRequest("the grant was not read".into())),
            (Op::DeviceAuthorization, _) => {
                family.device_authorization(&credentials?, &form).await.map(|r| respond::json(200, &r))
            }
            (Op::PushedAuthorizationRequest, _) => {
                family.push_authorization_request(&credentials?, &form).await.map(|r| respond::json(201, &r))
            }
            (Op::Introspect, _) => family.introspect(&credentials?, &form).await.map(|r| respond::json(200, &r)),
            // RFC 7009 §2.2: 200, and the body is ignored.
            (Op::Revoke, _) => family.revoke(&credentials?, &form).await.map(|()| respond::empty(200)),
        }
    }
    .await;
    if op == Op::Token {
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
    let response = with_dpop_nonce(cx, response);
    respond::with_header(response, "Pragma", "no-cache")
}

/// RFC 9449 §8: with `DPOP_NONCES`, every answer tells the client the nonce to use (and
/// lets a page read it).
fn with_dpop_nonce(cx: &Cx<'_>, response: Response) -> Response {
    if !cx.config.security.dpop_nonces {
        return response;
    }
    let response = respond::with_header(response, "DPoP-Nonce", &dpop::current_nonce(&cx.config.secret_key, cx.now));
    respond::with_header(response, "Access-Control-Expose-Headers", "DPoP-Nonce")
}

/// `GET/POST /userinfo` (OIDC Core §5.3): the token in the Bearer header (RFC 6750 §2.1)
/// or, for POST, in a form body (§2.2). Errors carry `WWW-Authenticate: Bearer` (§3).
/// Browser apps call it from an origin of their client's redirect URIs (as `/token`).
pub async fn userinfo(cx: &Cx<'_>, mut req: Request, _: &Matched) -> Result<Response, ApiError> {
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
        // RFC 9449 §7: `Authorization: DPoP` with its proof in the DPoP header.
        let url = req.url().map(|u| u.to_string()).unwrap_or_default();
        let proof = req.headers().get("DPoP").ok().flatten();
        let htm = if req.method() == Method::Post { "POST" } else { "GET" };
        let nonce_key = cx.config.security.dpop_nonces.then_some(&cx.config.secret_key);
        let dpop = dpop_scheme(authorization.as_deref()).then(|| DpopPresentation {
            proof: proof.as_deref(),
            htm,
            htu: &url,
            nonce_key,
        });
        engine_userinfo(
            token,
            dpop.as_ref(),
            origin.as_deref(),
            cx.config,
            &cx.store,
            &WebCryptoSigner,
            &cx.verifier,
            cx.now,
        )
        .await
    }
    .await;
    let readable = !matches!(result, Err(BearerError::OriginNotAllowed));
    let response = match result {
        Ok(claims) => respond::json(200, &claims),
        Err(e) => respond::error(&e),
    };
    let response = with_cors(response, origin.as_deref(), readable);
    let response = with_dpop_nonce(cx, response);
    Ok(respond::with_header(response, "Cache-Control", "no-store"))
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
