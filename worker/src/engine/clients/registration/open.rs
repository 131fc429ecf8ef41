//! Open registration (RFC 7591 §3 without an initial access token; docs/api.md, "Open
//! registration"), as MCP clients register themselves: only while the operator allows it
//! (`ALLOW_OPEN_REGISTRATION`), and only clients that can do no more harm than a web page:
//! public (PKCE) clients of the code flow, with https or loopback redirect URIs, asking for
//! `OPEN_REGISTRATION_SCOPES` at most, without a logo (a picture anyone chose on the
//! consent screen) or a back-channel logout URI (an address anyone chose that the server
//! would POST to). The answer carries a registration access token (RFC 7592 §3) that
//! reads, changes and deletes that registration and nothing else. Self-registered
//! clients are marked in the API and the console, named as such on the consent screen,
//! and deleted by the cleanup once unused for `OPEN_REGISTRATION_UNUSED_DAYS`.

use serde_json::json;
use shared::clients::{ClientInformation, ClientMetadata, ClientSettings, MetadataProblem};
use shared::codes;
use subtle::ConstantTimeEq;

use super::{deletion, find, information, rejected, Registration};
use crate::engine::crypto::tokens::{hash_token, new_uuid, random_token};
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::config::OpenRegistration;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::{request_context_view, Platform, RequestContext};
use crate::engine::tables::clients;

/// The grants a self-registered client may use.
const OPEN_GRANTS: &[&str] = &["authorization_code", "refresh_token"];

/// Every rule a self-registered client breaks beyond those of every client
/// (`ClientSettings::problems`).
pub fn open_problems(settings: &ClientSettings, open: &OpenRegistration) -> Vec<MetadataProblem> {
    let mut out = Vec::new();
    let mut metadata = |field: &'static str, message: String| {
        out.push(MetadataProblem { error: "invalid_client_metadata", field, message });
    };
    if !settings.is_public() {
        metadata(
            "token_endpoint_auth_method",
            "a client registered without an admin token is public: token_endpoint_auth_method none (with PKCE)".into(),
        );
    }
    if let Some(grant) = settings.grant_types.iter().find(|g| !OPEN_GRANTS.contains(&g.as_str())) {
        metadata(
            "grant_types",
            format!("grant `{grant}` needs an admin's registration; authorization_code and refresh_token only"),
        );
    }
    if settings.response_types.iter().any(|r| r != "code") {
        metadata("response_types", "response_types code only".into());
    }
    if let Some(scope) =
        settings.scope.split(' ').filter(|s| !s.is_empty()).find(|s| !open.scopes.iter().any(|o| o == s))
    {
        metadata("scope", format!("scope `{scope}` is not open to self-registered clients (OPEN_REGISTRATION_SCOPES)"));
    }
    if settings.logo_uri.is_some() {
        metadata("logo_uri", "a self-registered client shows no logo on the consent screen".into());
    }
    if settings.backchannel_logout_uri.is_some() {
        metadata("backchannel_logout_uri", "back-channel logout needs an admin's registration".into());
    }
    if settings.rate_limits.is_some() {
        metadata("rate_limits", "a client's own rate limits need an admin's registration".into());
    }
    for (field, list) in
        [("redirect_uris", &settings.redirect_uris), ("post_logout_redirect_uris", &settings.post_logout_redirect_uris)]
    {
        for uri in list.iter().filter(|u| !https_or_loopback(u)) {
            out.push(MetadataProblem {
                error: "invalid_redirect_uri",
                field,
                message: format!(
                    "`{uri}`: a self-registered client redirects to https or to http on 127.0.0.1, [::1] or localhost"
                ),
            });
        }
    }
    out
}

fn https_or_loopback(uri: &str) -> bool {
    match url::Url::parse(uri) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" => matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")),
        _ => false,
    }
}

/// One request of a client about its own registration.
pub struct OpenRegistrar<'a, P: Platform> {
    pub rc: RequestContext<'a, P>,
}

request_context_view!(OpenRegistrar);

/// The one answer for a wrong, unknown or foreign registration access token (RFC 7592 §3:
/// 401 `invalid_token`), so it tells nothing about which clients exist.
fn refused() -> ApiError {
    ApiError::unauthorized("invalid_token", "the registration access token is not valid for this client")
}

impl<P: Platform> OpenRegistrar<'_, P> {
    async fn audit(&self, name: &'static str, client_id: &str, metadata: serde_json::Value) -> Result<(), ApiError> {
        let event = AuditEvent::new(name, self.meta, self.now, self.rng)?
            .actor("client", client_id)
            .resource("client", client_id)
            .metadata(metadata);
        Ok(self.store.record(&event).await?)
    }

    async fn check(&self, settings: &ClientSettings) -> Result<(), ApiError> {
        let known = self.store.scope_names().await?;
        let mut problems = settings.problems(Some(&known));
        problems.extend(open_problems(settings, &self.config.open_registration));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(rejected(&problems))
        }
    }

    /// `POST /register` without an admin token (RFC 7591 §3.1): 201 with the client_id and
    /// the registration access token (shown this once). Audited `client.created` with
    /// `self_registered`.
    pub async fn register(&self, request: &ClientMetadata) -> Result<ClientInformation, ApiError> {
        let open = &self.config.open_registration;
        if !open.allowed {
            return Err(ApiError::unauthorized(
                "invalid_token",
                "registering a client needs an admin token here (ALLOW_OPEN_REGISTRATION is off)",
            ));
        }
        // A public client by default (RFC 7591 §2 would make it client_secret_basic).
        let mut request = request.clone();
        request.token_endpoint_auth_method.get_or_insert_with(|| "none".into());
        let default_scope: Vec<&str> =
            self.config.default_scopes.iter().filter(|s| open.scopes.contains(s)).map(String::as_str).collect();
        let settings = ClientSettings::new(&request, &default_scope.join(" "));
        self.check(&settings).await?;
        let client_id = new_uuid(self.rng)?;
        let token = random_token(self.rng)?;
        let statements = [
            clients::insert(&client_id, &settings, false, self.now),
            clients::mark_self_registered(&client_id, &hash_token(&token), self.now),
        ];
        if self.store.batch(&statements).await?.iter().any(|n| *n != 1) {
            return Err(InternalError::new("self-registered client insert changed no row").into());
        }
        let metadata = json!({ "client_name": settings.client_name, "redirect_uris": settings.redirect_uris,
            "self_registered": true });
        self.audit("client.created", &client_id, metadata).await?;
        let registration = find(&self.rc, &client_id).await?.ok_or_else(|| InternalError::new("client vanished"))?;
        let mut answer = information(registration, None);
        answer.registration_access_token = Some(token);
        answer.registration_client_uri = Some(self.config.endpoint(&format!("/register/{client_id}")));
        Ok(answer)
    }

    /// The registration of `client_id` if `token` is its registration access token.
    async fn authorized(&self, client_id: &str, token: &str) -> Result<Registration, ApiError> {
        let registration = find(&self.rc, client_id).await?.ok_or_else(refused)?;
        let stored = registration.registration_token_hash.as_deref().unwrap_or_default();
        let matches = bool::from(hash_token(token).as_bytes().ct_eq(stored.as_bytes()));
        if !registration.self_registered || stored.is_empty() || !matches {
            return Err(refused());
        }
        Ok(registration)
    }

    /// `GET /register/{id}` with the registration access token (RFC 7592 §2.1).
    pub async fn read(&self, client_id: &str, token: &str) -> Result<ClientInformation, ApiError> {
        Ok(information(self.authorized(client_id, token).await?, None))
    }

    /// `PATCH /register/{id}` with the registration access token: the fields named, then
    /// every rule of the registration again. Audited `client.updated`.
    pub async fn update(
        &self,
        client_id: &str,
        token: &str,
        patch: &ClientMetadata,
    ) -> Result<ClientInformation, ApiError> {
        let mut registration = self.authorized(client_id, token).await?;
        registration.settings.apply(patch);
        self.check(&registration.settings).await?;
        if self.store.exec(clients::update(client_id, &registration.settings, self.now)).await? != 1 {
            return Err(refused());
        }
        let changed: Vec<String> = match serde_json::to_value(patch) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        self.audit("client.updated", client_id, json!({ "fields": changed, "self_registered": true })).await?;
        Ok(information(registration, None))
    }

    /// `DELETE /register/{id}` with the registration access token (RFC 7592 §2.3): the
    /// client goes, with its consents and tokens. Audited `client.deleted`.
    pub async fn delete(&self, client_id: &str, token: &str) -> Result<(), ApiError> {
        self.authorized(client_id, token).await?;
        let changes = self.store.batch(&deletion(&self.rc, client_id)).await?;
        if changes.last() != Some(&1) {
            return Err(ApiError::not_found(codes::NOT_FOUND, "no client with this client_id"));
        }
        self.audit("client.deleted", client_id, json!({ "self_registered": true })).await
    }
}
