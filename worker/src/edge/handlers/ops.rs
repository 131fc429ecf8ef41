//! Operations and discovery: `/health`, the OpenID Provider metadata (OIDC Discovery 1.0,
//! RFC 8414), the JWKS (RFC 7517) and the SPA's public branding.

use std::rc::Rc;

use shared::api::{HealthStatus, UiConfig};
use subtle::ConstantTimeEq;
use worker::{Env, Request, Response};

use crate::edge::adapters::env;
use crate::edge::adapters::webcrypto::WebCryptoSigner;
use crate::edge::adapters::WorkerClock;
use crate::edge::adapters::{db, kv};
use crate::edge::context::{Cx, DISCOVERY_BODY, JWKS_BODY};
use crate::edge::respond;
use crate::engine::admin::keys as admin_keys;
use crate::engine::crypto::keys::{KeyRing, JWKS_MAX_AGE_SECONDS};
use crate::engine::oauth::discovery;
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::{cleanup, health, metrics};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, ConfigError, InternalError};
use crate::engine::platform::ports::{Clock, SystemRandom};
use crate::routes::Matched;

/// The scheduled cleanup (engine::ops::cleanup): deletes what expired; failures are
/// logged (a scheduled run has no one to answer), the next run tries again.
pub async fn cleanup(env: &Env) {
    let outcome = async {
        let config = env::config(env, None).await.map_err(|e| InternalError::new(e.to_string()))?;
        let store = db(env)?;
        let mut counts = cleanup::run(&store, &SystemRandom, &config, WorkerClock.now()).await?;
        if let Some(statements) = metrics::take_due(WorkerClock.now()) {
            metrics::flush(&store, &statements).await?;
        }
        // Signing keys: due rotations completed, expired keys retired, KEY_ROTATION_DAYS.
        let ring = KeyRing { store: &store, signer: &WebCryptoSigner, rng: &SystemRandom, secret: &config.secret_key };
        if let serde_json::Value::Object(keys) = admin_keys::scheduled(&ring, &config, WorkerClock.now()).await? {
            counts.extend(keys);
        }
        // Deliveries (Logout Tokens too) whose Queue message was lost, or all of them with
        // no Queue bound.
        let (sent, waiting) = crate::edge::handlers::deliveries::sweep(env, &config).await?;
        counts.insert("deliveries_delivered".into(), sent.into());
        counts.insert("deliveries_failed".into(), waiting.into());
        Ok::<_, InternalError>(counts)
    }
    .await;
    match outcome {
        Ok(counts) => log::info!("cleanup: {}", serde_json::Value::Object(counts)),
        Err(e) => log::error!("cleanup failed: {}", e.detail()),
    }
}

/// `/health` reports a broken configuration or binding instead of failing on it, so it
/// takes the configuration as it came (a request context needs a good one).
pub async fn health(config: &Result<Rc<Config>, ConfigError>, env: &Env) -> Response {
    let (db, kv) = (db(env), kv(env));
    let outcome = health::check(
        config.as_ref().map(|_| ()),
        db.as_ref().map_err(Clone::clone),
        kv.as_ref().map_err(Clone::clone),
    )
    .await;
    for problem in &outcome.problems {
        log::error!("health: {problem}");
    }
    let mut report = outcome.report;
    if let Ok(config) = config {
        report.unread_settings = config.unread.clone();
    }
    let status = if report.status == HealthStatus::Ok { 200 } else { 503 };
    respond::json(status, &report)
}

/// Browsers' OIDC libraries fetch discovery and the JWKS cross-origin (the route table
/// gives both `Cors::AnyOrigin`).
fn public_cacheable(response: Response, max_age: u32) -> Response {
    respond::with_header(response, "Cache-Control", &format!("public, max-age={max_age}"))
}

/// The OpenID Provider metadata at `/.well-known/openid-configuration`, and the same
/// document as RFC 8414 authorization server metadata at
/// `/.well-known/oauth-authorization-server` (for an issuer with a path, that path after
/// it, RFC 8414 §3.1; no other).
pub async fn discovery(cx: &Cx<'_>, _: Request, m: &Matched) -> Result<Response, ApiError> {
    if !m.params.is_empty() {
        let issuer_path = url::Url::parse(&cx.config.issuer).map(|u| u.path().trim_matches('/').to_owned());
        if issuer_path.as_deref().unwrap_or_default() != m.param(0) || m.param(0).is_empty() {
            return Err(ApiError::not_found(shared::codes::NOT_FOUND, "no metadata for this issuer path"));
        }
    }
    let now = cx.now;
    let body = match DISCOVERY_BODY.with(|c| c.borrow().get(now)) {
        Some(body) => body,
        None => {
            let key = cx.signing_key(cx.config.tokens.signing_alg).await?;
            // Scope names lag-tolerant: this document is cached an hour by clients anyway.
            let scopes = cx.replica()?.scope_names().await?;
            let document = discovery::discovery_document(cx.config, &WebCryptoSigner, &key, &scopes, now).await?;
            let body = document.to_string();
            DISCOVERY_BODY.with(|c| c.borrow_mut().put(body.clone(), now));
            body
        }
    };
    Ok(public_cacheable(respond::json_text(200, body), 3600))
}

pub async fn jwks(cx: &Cx<'_>, _: Request, _: &Matched) -> Result<Response, ApiError> {
    let now = cx.now;
    let body = match JWKS_BODY.with(|c| c.borrow().get(now)) {
        Some(body) => body,
        None => {
            // From a replica: a key is published 360 s before it signs, far beyond lag.
            let replica = cx.replica()?;
            let set = cx.key_ring_on(&replica).jwks(now).await?;
            let body = serde_json::to_string(&set).map_err(|e| InternalError::new(format!("JWKS: {e}")))?;
            JWKS_BODY.with(|c| c.borrow_mut().put(body.clone(), now));
            body
        }
    };
    // A rotation publishes a new key this long (plus this isolate's cache) before it signs.
    Ok(public_cacheable(respond::json_text(200, body), JWKS_MAX_AGE_SECONDS as u32))
}

pub async fn ui_config(cx: &Cx<'_>, _: Request, _: &Matched) -> Result<Response, ApiError> {
    let config = cx.config;
    let body = UiConfig {
        branding: config.branding.clone(),
        issuer: config.issuer.clone(),
        password_policy: config.security.password_policy.clone(),
        check_common_passwords: config.security.check_common_passwords,
        providers: config
            .providers
            .iter()
            .map(|p| shared::account::ProviderInfo {
                name: p.name.clone(),
                display_name: p.display_name.clone(),
                brand: p.preset.then(|| p.name.clone()),
            })
            .collect(),
        passkeys: crate::engine::identity::passkeys::rp_id(config).is_some(),
    };
    Ok(respond::with_header(respond::json(200, &body), "Cache-Control", "no-cache"))
}

/// `/metrics` (Prometheus text format 0.0.4): for `METRICS_TOKEN` as a Bearer token, or an
/// admin token. Never cached.
pub async fn prometheus(cx: &Cx<'_>, req: Request, _: &Matched) -> Result<Response, ApiError> {
    let req = &req;
    let presented = req.headers().get("Authorization").ok().flatten();
    let scraper = match (&cx.config.metrics_token, presented.as_deref().and_then(|h| h.strip_prefix("Bearer "))) {
        (Some(expected), Some(given)) => bool::from(expected.expose().as_bytes().ct_eq(given.trim().as_bytes())),
        _ => false,
    };
    if !scraper {
        if let Err(refused) = cx.admin(req).await {
            return Ok(refused);
        }
    }
    let text = metrics::render(&cx.store, cx.config, cx.now).await?;
    let mut response = Response::ok(text).map_err(|e| InternalError::new(format!("metrics response: {e}")))?;
    respond::set(response.headers_mut(), "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    Ok(respond::set_no_store(response))
}

/// Adds this isolate's counts to D1 after the answer, when a flush is due
/// (`engine::ops::metrics`); a failure is logged and those counts are lost.
pub fn flush_metrics(env: &Env, worker: &worker::Context) {
    let Some(statements) = metrics::take_due(WorkerClock.now()) else { return };
    let env = env.clone();
    worker.wait_until(async move {
        let flushed = match db(&env) {
            Ok(store) => metrics::flush(&store, &statements).await,
            Err(e) => Err(e),
        };
        if let Err(e) = flushed {
            log::error!("metrics flush failed: {}", e.detail());
        }
    });
}

/// This server's OpenAPI 3.1 description of `/api` and `/register` (docs/openapi.json,
/// checked against the real answers by tests/e2e/openapi.test.mjs). The build puts it among
/// the static assets (at `api/openapi.json`, which only this route reaches: every `/api`
/// path is the worker's): 112 KB the worker's module does not carry.
pub async fn openapi(cx: &Cx<'_>, _: Request, _: &Matched) -> Result<Response, ApiError> {
    let env = cx.env;
    let assets = env.assets("ASSETS").map_err(|e| InternalError::new(format!("binding ASSETS: {e}")))?;
    let answer = assets
        .fetch("https://assets.invalid/api/openapi.json", None)
        .await
        .map_err(|e| InternalError::new(format!("assets fetch: {e}")))?;
    // A missing file would come back as the SPA's index.html (its not-found handling).
    let json = answer.headers().get("Content-Type").ok().flatten().is_some_and(|t| t.starts_with("application/json"));
    if answer.status_code() != 200 || !json {
        return Err(InternalError::new("api/openapi.json is missing from the assets (make build-spa)").into());
    }
    let mut answer = answer;
    let body = answer.text().await.map_err(|e| InternalError::new(format!("assets read: {e}")))?;
    Ok(public_cacheable(respond::json_text(200, body), 3600))
}
