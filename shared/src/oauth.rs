//! OAuth 2.0 wire types a client reads (the SPA's admin client among them).

use serde::{Deserialize, Serialize};

/// Grant types by their wire names (RFC 6749 §4, RFC 8628 §3.4): what `grant_type` says at
/// the token endpoint and what a client is registered for.
pub mod grant {
    pub const AUTHORIZATION_CODE: &str = "authorization_code";
    pub const IMPLICIT: &str = "implicit";
    pub const REFRESH_TOKEN: &str = "refresh_token";
    pub const CLIENT_CREDENTIALS: &str = "client_credentials";
    pub const PASSWORD: &str = "password";
    pub const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
    /// RFC 8693 §2.1.
    pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
    /// Every grant a client may be registered for.
    pub const ALL: &[&str] =
        &[AUTHORIZATION_CODE, IMPLICIT, REFRESH_TOKEN, CLIENT_CREDENTIALS, PASSWORD, DEVICE_CODE, TOKEN_EXCHANGE];
}

/// RFC 8693 §3: token type identifiers.
pub mod token_type {
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
}

/// Response types `/authorize` can serve (OAuth 2.0 Multiple Response Type Encoding
/// Practices), in the order discovery lists them.
pub const RESPONSE_TYPES: &[&str] =
    &["code", "id_token", "token", "code id_token", "code token", "id_token token", "code id_token token"];

/// Whether `response_type` is off unless `ALLOW_IMPLICIT=true` (RFC 9700 §2.1.2): every type
/// that returns an access token from the authorization endpoint, and `id_token` alone
/// (no code to redeem with PKCE). `code` and `code id_token` stay on.
pub fn is_implicit(response_type: &str) -> bool {
    let parts: Vec<&str> = response_type.split(' ').filter(|p| !p.is_empty()).collect();
    parts.contains(&"token") || !parts.contains(&"code")
}

/// Client authentication methods at the token endpoint (RFC 6749 §2.3; OIDC Core §9):
/// `none` is a public client sending only its `client_id`.
pub const AUTH_METHODS: &[&str] =
    &["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"];

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The algorithms a client assertion may be signed with (discovery's
/// `token_endpoint_auth_signing_alg_values_supported`): the three for `private_key_jwt`,
/// HS256 for `client_secret_jwt`.
pub const ASSERTION_SIGNING_ALGS: &[&str] = &["RS256", "ES256", "EdDSA", "HS256"];

/// The algorithms a request object (RFC 9101) may be signed with: the client's own keys
/// (asymmetric only; `none` and HMAC are refused).
pub const REQUEST_OBJECT_SIGNING_ALGS: &[&str] = &["RS256", "ES256", "EdDSA"];

/// RFC 9126 §2.2: the prefix of every `request_uri` the PAR endpoint hands out.
pub const PAR_REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// RFC 9126 §2.2 `expires_in` of a pushed request: the most FAPI 2.0 §5.3.2.2 allows.
pub const PAR_LIFETIME: u32 = 60;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer` (RFC 6750).
    pub token_type: String,
    pub expires_in: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scope, space-separated; always sent so clients need not guess (§5.1
    /// makes it optional only when identical to the request).
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693 §2.2.1: what a token exchange issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

/// `aud` (RFC 7519 §4.1.3): one audience as a string, several as an array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Aud {
    One(String),
    Many(Vec<String>),
}

impl Aud {
    /// One value as a string, as RFC 9068 tokens for a single audience carry it.
    pub fn from_list(mut list: Vec<String>) -> Aud {
        match list.len() {
            1 => Aud::One(list.remove(0)),
            _ => Aud::Many(list),
        }
    }

    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Aud::One(one) => one == audience,
            Aud::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// A token introspection response (RFC 7662 §2.2). Inactive tokens answer only
/// `{"active":false}`: nothing else about them is disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Aud>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// RFC 9449 §6.2: the key a DPoP-bound token is bound to (`{"jkt": ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<serde_json::Value>,
}

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorizationResponse {
    pub device_code: String,
    /// `XXXX-XXXX` from `BCDFGHJKLMNPQRSTVWXZ`; accepted in any case, with or without the dash.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: u32,
    /// Seconds between polls of the token endpoint (§3.5).
    pub interval: u32,
    /// The application the person is asked to let in, as `/activate` names it (its
    /// `client_name`), so the device can say it beside the code (docs/api.md, "Endpoints").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audience: String,
}
