//! Client registration (RFC 7591, RFC 7592): the metadata an admin sends, the rules it
//! must meet, and what the server answers. The rules live here so the admin console
//! checks a form live with exactly the server's judgement.

mod profiles;
mod rate_limits;
mod rules;

use serde::{Deserialize, Serialize};

pub use profiles::{FAPI2, FAPI2_SIGNING_ALGS, SECURITY_PROFILES};
pub use rate_limits::{ClientRateLimits, RateLimit};
pub use rules::{https_problem, jwks_problem, private_use_scheme, redirect_uri_problem, PRIVATE_JWK_MEMBERS};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_URIS: usize = 20;
pub const MAX_URI_CHARS: usize = 2000;
/// Bounds of the per-client token lifetimes, seconds.
pub const ACCESS_TTL_RANGE: (u32, u32) = (60, 86_400);
pub const REFRESH_TTL_MAX: u32 = 31_536_000;
/// OIDC Dynamic Client Registration §2 `application_type`: `web` (the default) or
/// `native` (mobile and desktop apps, RFC 8252).
pub const APPLICATION_TYPES: &[&str] = &["web", "native"];
pub const NATIVE: &str = "native";
/// The algorithms ID tokens are signed with here (discovery's
/// `id_token_signing_alg_values_supported`); never `none`.
pub const ID_TOKEN_SIGNING_ALGS: &[&str] = &["RS256", "ES256", "EdDSA"];

fn web() -> String {
    String::from("web")
}

/// `POST /register` and `PATCH /register/{id}` bodies (RFC 7591 §2, plus
/// per-client token settings). Absent fields: the default (POST) or unchanged (PATCH).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// `web` or `native` ([`APPLICATION_TYPES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// Space-separated scopes the client may be granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// For the four URIs an empty string clears the value (PATCH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_rotation: Option<bool>,
    /// OIDC Registration §2: the algorithm of this client's ID tokens
    /// ([`ID_TOKEN_SIGNING_ALGS`]; RS256 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    /// OIDC Back-Channel Logout 1.0 §2.2: where a Logout Token is POSTed when a session
    /// the client got tokens in ends (an empty string clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// §2.2: the client wants `sid` in Logout Tokens (they always carry it here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_session_required: Option<bool>,
    /// The RFC 8707 resources (`/api/resources` identifiers) this client may ask tokens
    /// for; an empty list: any registered resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_resources: Option<Vec<String>>,
    /// RFC 7591 §2: the public keys of a `private_key_jwt` client, inline (a JWK set)...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// ...or where to fetch them (an empty string clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RFC 9449 §5.2: every access token of this client must be DPoP-bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens: Option<bool>,
    /// RFC 9126 §6: this client's authorization requests must be pushed (PAR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// RFC 9101 §10.1 (OIDC Registration §2): the only algorithm this client's request
    /// objects may be signed with (an empty string clears it: any of ours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    /// `fapi2`: the FAPI 2.0 Security Profile's rules for this client ([`SECURITY_PROFILES`];
    /// an empty string clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_profile: Option<String>,
    /// The client's own rate limits (`rate_limits.token`, an admin's registration only;
    /// `{}` clears them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<ClientRateLimits>,
}

/// A client's whole registration as stored and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSettings {
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: String,
    #[serde(default = "web")]
    pub application_type: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    pub contacts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_rotation: Option<bool>,
    /// OIDC Registration §2: the algorithm of this client's ID tokens
    /// ([`ID_TOKEN_SIGNING_ALGS`]; RS256 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
    /// OIDC Back-Channel Logout 1.0 §2.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// RFC 8707 resources the client is limited to; empty: any registered resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_resources: Vec<String>,
    /// RFC 7523 `private_key_jwt`: the client's public keys, or where they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RFC 9449 §5.2.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// RFC 9126 §6.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9101 §10.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    /// `fapi2` or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_profile: Option<String>,
    /// The client's own rate limits instead of the global ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<ClientRateLimits>,
}

/// One broken rule, as RFC 7591 §3.2.2 names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataProblem {
    /// `invalid_redirect_uri` or `invalid_client_metadata`.
    pub error: &'static str,
    pub field: &'static str,
    pub message: String,
}

fn optional(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl ClientSettings {
    /// A new registration: RFC 7591 §2 defaults (`authorization_code`, `code`,
    /// `client_secret_basic`) and `default_scope` where the request names none.
    pub fn new(request: &ClientMetadata, default_scope: &str) -> ClientSettings {
        let mut settings = ClientSettings {
            client_name: String::new(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec!["authorization_code".into()],
            response_types: vec!["code".into()],
            token_endpoint_auth_method: "client_secret_basic".into(),
            application_type: web(),
            scope: default_scope.into(),
            logo_uri: None,
            client_uri: None,
            tos_uri: None,
            policy_uri: None,
            contacts: vec![],
            access_token_ttl: None,
            refresh_token_ttl: None,
            refresh_token_rotation: None,
            id_token_signed_response_alg: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            allowed_resources: vec![],
            jwks: None,
            jwks_uri: None,
            dpop_bound_access_tokens: false,
            require_pushed_authorization_requests: false,
            request_object_signing_alg: None,
            security_profile: None,
            rate_limits: None,
        };
        // A client registered only for grants without the browser gets no response types.
        if request.grant_types.is_some() && request.response_types.is_none() {
            settings.response_types = vec![];
            let grants = request.grant_types.as_deref().unwrap_or_default();
            if grants.iter().any(|g| g == "authorization_code") {
                settings.response_types.push("code".into());
            }
        }
        settings.apply(request);
        // A service account (client_credentials only) acts for no person: user scopes
        // such as `openid` mean nothing to it, so it gets none unless it asks.
        if request.scope.is_none() && settings.grant_types.iter().all(|g| g == "client_credentials") {
            settings.scope = String::new();
        }
        settings
    }

    /// Applies a PATCH: present fields replace, absent ones stay.
    pub fn apply(&mut self, patch: &ClientMetadata) {
        if let Some(name) = &patch.client_name {
            self.client_name = name.trim().to_owned();
        }
        let trimmed = |list: &Vec<String>| list.iter().map(|v| v.trim().to_owned()).collect::<Vec<_>>();
        if let Some(v) = &patch.redirect_uris {
            self.redirect_uris = trimmed(v);
        }
        if let Some(v) = &patch.post_logout_redirect_uris {
            self.post_logout_redirect_uris = trimmed(v);
        }
        if let Some(v) = &patch.grant_types {
            self.grant_types = trimmed(v);
        }
        if let Some(v) = &patch.response_types {
            self.response_types = trimmed(v);
        }
        if let Some(v) = &patch.token_endpoint_auth_method {
            self.token_endpoint_auth_method = v.trim().to_owned();
        }
        if let Some(v) = &patch.application_type {
            self.application_type = v.trim().to_owned();
        }
        if let Some(v) = &patch.scope {
            self.scope = v.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        for (field, value) in [
            (&mut self.logo_uri, &patch.logo_uri),
            (&mut self.client_uri, &patch.client_uri),
            (&mut self.tos_uri, &patch.tos_uri),
            (&mut self.policy_uri, &patch.policy_uri),
        ] {
            if value.is_some() {
                *field = optional(value);
            }
        }
        if let Some(v) = &patch.contacts {
            self.contacts = trimmed(v);
        }
        if patch.access_token_ttl.is_some() {
            self.access_token_ttl = patch.access_token_ttl;
        }
        if patch.refresh_token_ttl.is_some() {
            self.refresh_token_ttl = patch.refresh_token_ttl;
        }
        if patch.refresh_token_rotation.is_some() {
            self.refresh_token_rotation = patch.refresh_token_rotation;
        }
        if patch.id_token_signed_response_alg.is_some() {
            // An empty string goes back to the default.
            self.id_token_signed_response_alg = optional(&patch.id_token_signed_response_alg);
        }
        if patch.backchannel_logout_uri.is_some() {
            self.backchannel_logout_uri = optional(&patch.backchannel_logout_uri);
        }
        if let Some(required) = patch.backchannel_logout_session_required {
            self.backchannel_logout_session_required = required;
        }
        if let Some(v) = &patch.allowed_resources {
            self.allowed_resources = trimmed(v);
        }
        if let Some(jwks) = &patch.jwks {
            // `null` or `{}` clears it.
            self.jwks = (!jwks.is_null() && jwks.as_object().is_none_or(|o| !o.is_empty())).then(|| jwks.clone());
        }
        if patch.jwks_uri.is_some() {
            self.jwks_uri = optional(&patch.jwks_uri);
        }
        if let Some(bound) = patch.dpop_bound_access_tokens {
            self.dpop_bound_access_tokens = bound;
        }
        if let Some(required) = patch.require_pushed_authorization_requests {
            self.require_pushed_authorization_requests = required;
        }
        if patch.request_object_signing_alg.is_some() {
            self.request_object_signing_alg = optional(&patch.request_object_signing_alg);
        }
        if let Some(limits) = &patch.rate_limits {
            self.rate_limits = (!limits.is_empty()).then(|| limits.clone());
        }
        if patch.security_profile.is_some() {
            self.security_profile = optional(&patch.security_profile);
            // FAPI 2.0 §5.3.2.2 and §5.3.2.1: choosing the profile turns on what it
            // requires unless the same change says otherwise (then `problems` names the rule).
            if self.is_fapi2() {
                if patch.require_pushed_authorization_requests.is_none() {
                    self.require_pushed_authorization_requests = true;
                }
                if patch.dpop_bound_access_tokens.is_none() {
                    self.dpop_bound_access_tokens = true;
                }
            }
        }
    }

    /// Whether the FAPI 2.0 Security Profile applies to this client.
    pub fn is_fapi2(&self) -> bool {
        self.security_profile.as_deref() == Some(FAPI2)
    }

    /// Whether the client authenticates with a secret of ours (Basic, post, or an HMAC
    /// keyed with it); a `private_key_jwt` client proves a key of its own, a public one
    /// nothing.
    pub fn uses_secret(&self) -> bool {
        matches!(
            self.token_endpoint_auth_method.as_str(),
            "client_secret_basic" | "client_secret_post" | "client_secret_jwt"
        )
    }

    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == "none"
    }

    pub fn is_native(&self) -> bool {
        self.application_type == NATIVE
    }
}

/// The answer to `POST /register` and `GET/PATCH /register/{id}` (RFC 7591 §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInformation {
    pub client_id: String,
    /// Only in the answers that create a secret (registration, renewal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    /// 0: never (RFC 7591 §3.2.1); present for confidential clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    #[serde(flatten)]
    pub settings: ClientSettings,
    /// The live secrets' ids and dates (never the secrets).
    #[serde(default)]
    pub secrets: Vec<SecretInfo>,
    /// Registered by itself without an admin token (open registration).
    #[serde(default)]
    pub self_registered: bool,
    /// RFC 7592 §3: for a self-registered client, the bearer token that reads, changes
    /// and deletes its registration at `registration_client_uri` (shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    pub secret_id: String,
    pub created_at: i64,
    /// 0: never.
    pub expires_at: i64,
}

/// `POST /register/{id}/renew_secret` and `POST /register/{id}/secrets` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecret {
    pub client_id: String,
    pub secret_id: String,
    pub client_secret: String,
    pub client_secret_expires_at: i64,
}

/// `POST /register/{id}/secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAction {
    pub action: String,
}

/// One row of `GET /api/clients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSummary {
    pub client_id: String,
    pub client_name: String,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: i64,
    /// The soonest expiry among live secrets (0: none expire), in Unix seconds like RFC
    /// 7591's `client_secret_expires_at`, which it mirrors.
    pub secret_expires_at: i64,
    /// Registered by itself (open registration).
    #[serde(default)]
    pub self_registered: bool,
}

#[cfg(test)]
mod tests;
