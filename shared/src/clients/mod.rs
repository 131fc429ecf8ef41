//! Client registration (RFC 7591, RFC 7592): the metadata an admin sends, the rules it
//! must meet, and what the server answers. The rules live here so the admin console
//! checks a form live with exactly the server's judgement.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::account::email_problem;
use crate::oauth::{grant, AUTH_METHODS, RESPONSE_TYPES};

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
    }

    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == "none"
    }

    pub fn is_native(&self) -> bool {
        self.application_type == NATIVE
    }

    /// Every rule this registration breaks (empty: valid). `known_scopes` are the
    /// server's scopes (`None`: not known here, e.g. in the browser before they load).
    pub fn problems(&self, known_scopes: Option<&[String]>) -> Vec<MetadataProblem> {
        let mut out = Vec::new();
        let mut metadata = |field: &'static str, message: String| {
            out.push(MetadataProblem { error: "invalid_client_metadata", field, message });
        };
        let name_chars = self.client_name.chars().count();
        if name_chars == 0 {
            metadata("client_name", "client_name is required".into());
        } else if name_chars > MAX_NAME_CHARS || self.client_name.chars().any(char::is_control) {
            metadata("client_name", format!("client_name must be at most {MAX_NAME_CHARS} characters, one line"));
        }
        for grant in self.grant_types.iter().filter(|g| !grant::ALL.contains(&g.as_str())) {
            metadata("grant_types", format!("grant type `{grant}` is not supported"));
        }
        for rt in self.response_types.iter().filter(|r| !RESPONSE_TYPES.contains(&r.as_str())) {
            metadata("response_types", format!("response type `{rt}` is not supported"));
        }
        if !AUTH_METHODS.contains(&self.token_endpoint_auth_method.as_str()) {
            metadata(
                "token_endpoint_auth_method",
                format!("`{}` is not one of {}", self.token_endpoint_auth_method, AUTH_METHODS.join(", ")),
            );
        }
        if !APPLICATION_TYPES.contains(&self.application_type.as_str()) {
            metadata("application_type", format!("`{}` is not one of web, native", self.application_type));
        }
        // RFC 7591 §2.1: grant types and response types must agree.
        let grants = |g: &str| self.grant_types.iter().any(|x| x == g);
        let has_code = self.response_types.iter().any(|r| r.split(' ').any(|p| p == "code"));
        let has_implicit = self.response_types.iter().any(|r| r.split(' ').any(|p| p == "token" || p == "id_token"));
        if grants("authorization_code") && !has_code {
            metadata("response_types", "the authorization_code grant needs the `code` response type".into());
        }
        if has_code && !grants("authorization_code") {
            metadata("grant_types", "response type `code` needs the authorization_code grant".into());
        }
        if has_implicit && !grants("implicit") {
            metadata("grant_types", "response types with `token` or `id_token` need the implicit grant".into());
        }
        if grants("implicit") && !has_implicit {
            metadata("response_types", "the implicit grant needs a response type with `token` or `id_token`".into());
        }
        if self.is_public() && grants("client_credentials") {
            metadata(
                "grant_types",
                "a public client (token_endpoint_auth_method none) cannot use client_credentials".into(),
            );
        }
        if let Some(known) = known_scopes {
            for scope in self.scope.split(' ').filter(|s| !s.is_empty()) {
                if !known.iter().any(|k| k == scope) {
                    metadata("scope", format!("scope `{scope}` does not exist"));
                }
            }
        }
        for (field, value) in [
            ("logo_uri", &self.logo_uri),
            ("client_uri", &self.client_uri),
            ("tos_uri", &self.tos_uri),
            ("policy_uri", &self.policy_uri),
        ] {
            if let Some(problem) = value.as_deref().and_then(https_problem) {
                metadata(field, format!("{field}: {problem}"));
            }
        }
        for contact in &self.contacts {
            if email_problem(contact).is_some() {
                metadata("contacts", format!("contact `{contact}` is not an email address"));
            }
        }
        if let Some(ttl) = self.access_token_ttl {
            if !(ACCESS_TTL_RANGE.0..=ACCESS_TTL_RANGE.1).contains(&ttl) {
                let (lo, hi) = ACCESS_TTL_RANGE;
                metadata("access_token_ttl", format!("access_token_ttl must be from {lo} to {hi} seconds"));
            }
        }
        if let Some(alg) = self.id_token_signed_response_alg.as_deref() {
            if !ID_TOKEN_SIGNING_ALGS.contains(&alg) {
                let allowed = ID_TOKEN_SIGNING_ALGS.join(", ");
                metadata(
                    "id_token_signed_response_alg",
                    format!("id_token_signed_response_alg must be one of {allowed}"),
                );
            }
        }
        if self.refresh_token_ttl.is_some_and(|ttl| ttl > REFRESH_TTL_MAX) {
            metadata("refresh_token_ttl", format!("refresh_token_ttl must be at most {REFRESH_TTL_MAX} seconds"));
        }
        // OIDC Back-Channel Logout §2.2: absolute, no fragment; https (http on loopback).
        if let Some(uri) = self.backchannel_logout_uri.as_deref() {
            if let Some(problem) = redirect_uri_problem(uri, false) {
                metadata("backchannel_logout_uri", format!("backchannel_logout_uri: {problem}"));
            }
        }
        let needs_redirect = grants("authorization_code") || grants("implicit");
        if needs_redirect && self.redirect_uris.is_empty() {
            out.push(MetadataProblem {
                error: "invalid_redirect_uri",
                field: "redirect_uris",
                message: "the authorization_code and implicit grants need at least one redirect URI".into(),
            });
        }
        for (field, list) in
            [("redirect_uris", &self.redirect_uris), ("post_logout_redirect_uris", &self.post_logout_redirect_uris)]
        {
            if list.len() > MAX_URIS {
                out.push(MetadataProblem {
                    error: "invalid_redirect_uri",
                    field,
                    message: format!("at most {MAX_URIS} URIs"),
                });
            }
            for uri in list {
                let problem = match redirect_uri_problem(uri, self.is_native()) {
                    // RFC 8252 §8.6: a private-use scheme can be claimed by any app on the
                    // device, so only a public client (with PKCE) may use one.
                    None if private_use_scheme(uri) && !self.is_public() => {
                        Some("a private-use scheme is for public clients (token_endpoint_auth_method none)")
                    }
                    other => other,
                };
                if let Some(problem) = problem {
                    out.push(MetadataProblem {
                        error: "invalid_redirect_uri",
                        field,
                        message: format!("`{uri}`: {problem}"),
                    });
                }
            }
        }
        out
    }
}

fn loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}

/// Whether `uri` uses a private-use URI scheme in reverse-domain form (RFC 8252 §7.1:
/// `com.example.app:/callback`): a scheme with a dot, neither http nor https.
pub fn private_use_scheme(uri: &str) -> bool {
    uri.split_once(':').is_some_and(|(scheme, _)| {
        scheme.contains('.')
            && scheme.split('.').all(|label| !label.is_empty())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
    })
}

/// Why `uri` cannot be a redirect URI (RFC 6749 §3.1.2, RFC 8252 §7, docs/api.md
/// "Browser apps"): absolute, no fragment, no wildcards, no credentials; https, or http on loopback
/// (development and native apps); for `native` apps also a private-use scheme in
/// reverse-domain form (RFC 8252 §7.1).
pub fn redirect_uri_problem(uri: &str, native: bool) -> Option<&'static str> {
    if uri.chars().count() > MAX_URI_CHARS {
        return Some("too long");
    }
    if uri.contains('*') {
        return Some("wildcards are not allowed; register each URI exactly");
    }
    if uri.contains('#') {
        return Some("must not contain a fragment (RFC 6749 §3.1.2)");
    }
    let Ok(url) = Url::parse(uri) else { return Some(unparsable(uri)) };
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not carry credentials");
    }
    let has_host = url.host_str().is_some_and(|h| !h.is_empty());
    match url.scheme() {
        "https" | "http" if !has_host => Some("must be an absolute URI with a host"),
        "https" => None,
        "http" if loopback(&url) => None,
        "http" => Some("must use https (http only for localhost and 127.0.0.1)"),
        _ if private_use_scheme(uri) && native => None,
        _ if private_use_scheme(uri) => Some("a private-use scheme is for native apps (application_type native)"),
        _ => Some("must use https, or for native apps a reverse-domain scheme such as com.example.app:/callback"),
    }
}

/// Why `uri` cannot be a logo, home page, terms or policy link: it must be https.
pub fn https_problem(uri: &str) -> Option<&'static str> {
    match Url::parse(uri) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some_and(|h| !h.is_empty()) => None,
        Ok(_) => Some("must be an https URL"),
        Err(_) if !uri.is_ascii() => Some(unparsable(uri)),
        Err(_) => Some("must be an absolute https URL"),
    }
}

/// Why a URI did not parse. Host names are taken in ASCII only (the worker carries no
/// Unicode IDNA tables, docs/architecture.md): an internationalised one is registered in
/// its punycode form, as browsers send it.
fn unparsable(uri: &str) -> &'static str {
    if uri.is_ascii() {
        "must be an absolute URI"
    } else {
        "must be ASCII: write a non-ASCII host name in its punycode form (xn--...)"
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
    pub created_at: i64,
    /// The soonest expiry among live secrets (0: none expire).
    pub secret_expires_at: i64,
}

#[cfg(test)]
mod tests;
