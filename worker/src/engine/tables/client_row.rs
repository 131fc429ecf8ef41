//! A `clients` row (migrations/0002 and later) as D1 returns it, and the conversions
//! between it, the engine's [`Client`] and the registration metadata: the statements
//! themselves are `tables::clients`'.

use serde::Deserialize;
use shared::clients::ClientSettings;

use crate::engine::clients::{AuthMethod, Client, ClientType};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{int, SigningAlg, SqlArg, UnixTime};

/// A `clients` row as stored (JSON lists as text; integers as `f64`, see [`int`]).
#[derive(Debug, Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    pub client_name: String,
    pub client_type: String,
    pub token_endpoint_auth_method: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub grant_types: String,
    pub response_types: String,
    pub scopes: String,
    pub access_token_ttl: Option<f64>,
    pub refresh_token_ttl: Option<f64>,
    pub refresh_token_rotation: Option<f64>,
    pub first_party: f64,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub contacts: String,
    pub created_at: f64,
    pub application_type: String,
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: f64,
    #[serde(default)]
    pub allowed_resources: Option<String>,
    #[serde(default)]
    pub self_registered: f64,
    #[serde(default)]
    pub jwks: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub dpop_bound_access_tokens: f64,
    #[serde(default)]
    pub require_pushed_authorization_requests: f64,
    #[serde(default)]
    pub request_object_signing_alg: Option<String>,
    #[serde(default)]
    pub security_profile: Option<String>,
    /// `rate_limits` (migrations/0036) as JSON.
    #[serde(default)]
    pub rate_limits: Option<String>,
    /// Only in [`BY_ID_SQL`] (registration management).
    #[serde(default)]
    pub registration_token_hash: Option<String>,
    /// Only in [`CLIENT_WITH_SECRETS_SQL`]: the client's scopes flagged default.
    #[serde(default)]
    pub default_scopes: Option<String>,
    /// Only in [`CLIENT_WITH_SECRETS_SQL`]: `[[scope, [required, ...]], ...]` of the
    /// client's scopes that require others.
    #[serde(default)]
    pub scope_requires: Option<String>,
}

/// A JSON list column (`redirect_uris`, `scopes`, ...).
pub fn json_list(text: &str) -> Result<Vec<String>, InternalError> {
    serde_json::from_str(text).map_err(|e| InternalError::new(format!("bad JSON list in clients: {e}")))
}

pub(super) fn json_text(list: &[String]) -> SqlArg {
    SqlArg::Text(serde_json::Value::from(list).to_string())
}

impl ClientRow {
    /// The client as the token endpoints and `/authorize` use it.
    pub fn into_client(self) -> Result<Client, InternalError> {
        Ok(Client {
            client_type: ClientType::parse(&self.client_type)?,
            auth_method: AuthMethod::parse(&self.token_endpoint_auth_method)?,
            redirect_uris: json_list(&self.redirect_uris)?,
            grant_types: json_list(&self.grant_types)?,
            response_types: json_list(&self.response_types)?,
            scopes: json_list(&self.scopes)?,
            default_scopes: self.default_scopes.as_deref().map(json_list).transpose()?.unwrap_or_default(),
            scope_requires: match self.scope_requires.as_deref() {
                Some(text) => serde_json::from_str(text)
                    .map_err(|e| InternalError::new(format!("scope requirements of a client: {e}")))?,
                None => Vec::new(),
            },
            client_id: self.client_id,
            client_name: self.client_name,
            access_token_ttl: self.access_token_ttl.map(|t| t as u32),
            refresh_token_ttl: self.refresh_token_ttl.map(|t| t as u32),
            refresh_token_rotation: self.refresh_token_rotation.map(|v| v != 0.0),
            first_party: self.first_party != 0.0,
            native: self.application_type == shared::clients::NATIVE,
            logo_uri: self.logo_uri,
            tos_uri: self.tos_uri,
            policy_uri: self.policy_uri,
            post_logout_redirect_uris: json_list(&self.post_logout_redirect_uris)?,
            allowed_resources: self.allowed_resources.as_deref().map(json_list).transpose()?.unwrap_or_default(),
            self_registered: self.self_registered != 0.0,
            jwks: self.jwks,
            jwks_uri: self.jwks_uri,
            dpop_bound: self.dpop_bound_access_tokens != 0.0,
            require_par: self.require_pushed_authorization_requests != 0.0,
            request_object_alg: self.request_object_signing_alg.clone(),
            fapi2: self.security_profile.as_deref() == Some(shared::clients::FAPI2),
            id_token_alg: match self.id_token_signed_response_alg.as_deref() {
                None => SigningAlg::Rs256,
                Some(alg) => SigningAlg::parse(alg)
                    .ok_or_else(|| InternalError::new(format!("client id_token_signed_response_alg `{alg}`")))?,
            },
        })
    }

    /// The client's RFC 7591 metadata, as registration management shows it.
    pub fn into_settings(self) -> Result<(String, ClientSettings, UnixTime), InternalError> {
        let settings = ClientSettings {
            client_name: self.client_name,
            redirect_uris: json_list(&self.redirect_uris)?,
            post_logout_redirect_uris: json_list(&self.post_logout_redirect_uris)?,
            grant_types: json_list(&self.grant_types)?,
            response_types: json_list(&self.response_types)?,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            application_type: self.application_type,
            scope: json_list(&self.scopes)?.join(" "),
            logo_uri: self.logo_uri,
            client_uri: self.client_uri,
            tos_uri: self.tos_uri,
            policy_uri: self.policy_uri,
            contacts: json_list(&self.contacts)?,
            access_token_ttl: self.access_token_ttl.map(|t| t as u32),
            refresh_token_ttl: self.refresh_token_ttl.map(|t| t as u32),
            refresh_token_rotation: self.refresh_token_rotation.map(|v| v != 0.0),
            id_token_signed_response_alg: self.id_token_signed_response_alg,
            backchannel_logout_uri: self.backchannel_logout_uri,
            backchannel_logout_session_required: self.backchannel_logout_session_required != 0.0,
            allowed_resources: self.allowed_resources.as_deref().map(json_list).transpose()?.unwrap_or_default(),
            jwks: self
                .jwks
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| InternalError::new(format!("client jwks: {e}")))?,
            jwks_uri: self.jwks_uri,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens != 0.0,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests != 0.0,
            request_object_signing_alg: self.request_object_signing_alg,
            security_profile: self.security_profile,
            rate_limits: self.rate_limits.as_deref().and_then(|r| serde_json::from_str(r).ok()),
        };
        Ok((self.client_id, settings, int(self.created_at)))
    }
}

/// A client as [`settings_args`] stores it (the bootstrap clients are built as [`Client`]s).
pub(super) fn client_settings(c: &Client) -> ClientSettings {
    ClientSettings {
        client_name: c.client_name.clone(),
        redirect_uris: c.redirect_uris.clone(),
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        grant_types: c.grant_types.clone(),
        response_types: c.response_types.clone(),
        token_endpoint_auth_method: c.auth_method.as_str().to_owned(),
        application_type: String::from(if c.native { shared::clients::NATIVE } else { "web" }),
        scope: c.scopes.join(" "),
        logo_uri: c.logo_uri.clone(),
        client_uri: None,
        tos_uri: c.tos_uri.clone(),
        policy_uri: c.policy_uri.clone(),
        contacts: Vec::new(),
        access_token_ttl: c.access_token_ttl,
        refresh_token_ttl: c.refresh_token_ttl,
        refresh_token_rotation: c.refresh_token_rotation,
        id_token_signed_response_alg: (c.id_token_alg != SigningAlg::Rs256).then(|| c.id_token_alg.as_str().to_owned()),
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        allowed_resources: c.allowed_resources.clone(),
        jwks: c.jwks.as_deref().and_then(|j| serde_json::from_str(j).ok()),
        jwks_uri: c.jwks_uri.clone(),
        dpop_bound_access_tokens: c.dpop_bound,
        require_pushed_authorization_requests: c.require_par,
        request_object_signing_alg: c.request_object_alg.clone(),
        security_profile: c.fapi2.then(|| shared::clients::FAPI2.to_owned()),
        rate_limits: None,
    }
}
