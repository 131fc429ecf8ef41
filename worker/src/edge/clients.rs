//! Client management over HTTP, all behind an admin token (contract "Admin and account
//! API"): `/register...` (RFC 7591/7592 with secret rotation) and `/api/clients...`.
//! Decisions are in `engine::registration`.

use shared::clients::{ClientMetadata, SecretAction};
use worker::{Env, Method, Request, Response};

use super::admin_api::{paging, query, require_admin};
use super::browser::read_json;
use super::respond;
use super::router::{db, now, request_meta};
use crate::engine::clients::registration::{time_param, Registrar};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::form::decode_path_segment;
use crate::engine::platform::ports::SystemRandom;

/// The client-management paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRoute {
    /// `/register`: POST.
    Register,
    /// `/register/{id}`: GET, PATCH, DELETE.
    Client(String),
    /// `/register/{id}/renew_secret`: POST.
    RenewSecret(String),
    /// `/register/{id}/secrets`: POST `{"action":"add"}`.
    Secrets(String),
    /// `/register/{id}/secrets/{secret_id}`: DELETE.
    Secret(String, String),
    /// `/api/clients`: GET.
    List,
    /// `/api/clients/{id}/revoke_tokens`: POST.
    RevokeTokens(String),
}

impl ClientRoute {
    pub fn of(path: &str) -> Option<ClientRoute> {
        if path == "/register" {
            return Some(ClientRoute::Register);
        }
        if path == "/api/clients" {
            return Some(ClientRoute::List);
        }
        if let Some(rest) = path.strip_prefix("/api/clients/") {
            let (id, action) = rest.split_once('/')?;
            return (action == "revoke_tokens")
                .then(|| decode_path_segment(id).map(ClientRoute::RevokeTokens))
                .flatten();
        }
        let rest = path.strip_prefix("/register/")?;
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [id] => decode_path_segment(id).map(ClientRoute::Client),
            [id, "renew_secret"] => decode_path_segment(id).map(ClientRoute::RenewSecret),
            [id, "secrets"] => decode_path_segment(id).map(ClientRoute::Secrets),
            [id, "secrets", secret] => {
                Some(ClientRoute::Secret(decode_path_segment(id)?, decode_path_segment(secret)?))
            }
            _ => None,
        }
    }

    fn allow(&self) -> &'static str {
        match self {
            ClientRoute::Client(_) => "GET, HEAD, PATCH, DELETE",
            ClientRoute::List => "GET, HEAD",
            ClientRoute::Secret(_, _) => "DELETE",
            _ => "POST",
        }
    }

    fn accepts(&self, method: &Method) -> bool {
        let read = matches!(method, Method::Get | Method::Head);
        match self {
            ClientRoute::Client(_) => read || matches!(method, Method::Patch | Method::Delete),
            ClientRoute::List => read,
            ClientRoute::Secret(_, _) => *method == Method::Delete,
            _ => *method == Method::Post,
        }
    }
}

/// Answers a client-management route.
pub async fn handle(route: ClientRoute, mut req: Request, config: &Config, env: &Env) -> Result<Response, ApiError> {
    let method = req.method();
    if !route.accepts(&method) {
        return Err(ApiError::MethodNotAllowed { allow: route.allow() });
    }
    let now = now();
    let store = db(env)?;
    let admin = match require_admin(&req, config, &store, now).await {
        Ok(admin) => admin,
        Err(refused) => return Ok(refused),
    };
    let meta = request_meta(&req);
    let registrar = Registrar { config, store: &store, rng: &SystemRandom, meta: &meta, admin: &admin, now };
    let response = match route {
        ClientRoute::Register => {
            let body: ClientMetadata = read_json(&mut req).await?;
            respond::json(201, &registrar.register(&body).await?)
        }
        ClientRoute::Client(id) if method == Method::Patch => {
            let body: ClientMetadata = read_json(&mut req).await?;
            respond::json(200, &registrar.update(&id, &body).await?)
        }
        ClientRoute::Client(id) if method == Method::Delete => {
            registrar.delete(&id).await?;
            respond::empty(204)
        }
        ClientRoute::Client(id) => respond::json(200, &registrar.read(&id).await?),
        ClientRoute::RenewSecret(id) => respond::json(200, &registrar.renew_secret(&id).await?),
        ClientRoute::Secrets(id) => {
            let body: SecretAction = read_json(&mut req).await?;
            if body.action != "add" {
                return Err(ApiError::invalid("action", "the only action is `add`"));
            }
            respond::json(201, &registrar.add_secret(&id).await?)
        }
        ClientRoute::Secret(id, secret_id) => {
            registrar.remove_secret(&id, &secret_id).await?;
            respond::empty(204)
        }
        ClientRoute::RevokeTokens(id) => {
            let revoked = registrar.revoke_tokens(&id).await?;
            respond::json(200, &serde_json::json!({ "revoked_refresh_tokens": revoked }))
        }
        ClientRoute::List => {
            let params = query(&req)?;
            let (limit, offset) = paging(&params)?;
            let before = params.get("secret_expires_before").map(time_param).transpose()?;
            respond::json(200, &registrar.list(params.get("search"), before, limit, offset).await?)
        }
    };
    Ok(respond::set_no_store(response))
}
