//! What every admin API handler starts with: the admin token check (engine::admin_auth)
//! and the contract's `limit`/`offset` paging parameters.

use worker::{Request, Response};

use super::d1::D1Store;
use super::respond;
use super::router::EdgeVerifier;
use super::webcrypto::WebCryptoSigner;
use crate::engine::admin::auth::{admin_principal, AdminPrincipal};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::UnixTime;

/// The admin behind the request's Bearer token, or the RFC 6750 answer to send instead.
pub(super) async fn require_admin(
    req: &Request,
    config: &Config,
    store: &D1Store,
    now: UnixTime,
) -> Result<AdminPrincipal, Response> {
    let authorization = req.headers().get("Authorization").ok().flatten();
    let verifier = EdgeVerifier { store, now };
    admin_principal(authorization.as_deref(), config, store, &WebCryptoSigner, &verifier, now)
        .await
        .map_err(|e| respond::error(&e))
}

/// The query string's parameters (each once).
pub(super) fn query(req: &Request) -> Result<Form, ApiError> {
    let query = req.url().ok().and_then(|u| u.query().map(str::to_owned)).unwrap_or_default();
    Form::parse(query.as_bytes()).map_err(|e| ApiError::bad_request("invalid_request", e.describe()))
}

/// `limit` (1–200, default 50) and `offset` (default 0) of a list endpoint.
pub(super) fn paging(params: &Form) -> Result<(u32, u32), ApiError> {
    let number = |name: &str, default: u32, max: u32| -> Result<u32, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| ApiError::invalid(name, format!("must be a whole number from 0 to {max}"))),
        }
    };
    Ok((number("limit", 50, 200)?.max(1), number("offset", 0, u32::MAX)?))
}
