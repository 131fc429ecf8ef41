//! The authorization request (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.1, §3.2.2.1,
//! §3.3.2.1), checked in the order that decides where an error may go: nothing is sent
//! to a redirect URI before the client and that URI are verified (RFC 6749 §4.1.2.1,
//! docs/api.md, "Errors").

use serde::{Deserialize, Serialize};

pub use super::values::{Prompt, ResponseMode, ResponseType, RESPONSE_MODES_SUPPORTED};
use super::{AuthorizeError, ResponseTarget};
use shared::oauth::is_implicit;

use crate::engine::clients::{Client, ClientType};
use crate::engine::crypto::pkce::{valid_challenge, Method as PkceMethod};
use crate::engine::oauth::resources::{self, TargetResource};
use crate::engine::oauth::scope::parse_scope;
use crate::engine::platform::config::Config;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{UnixMillis, UnixTime};

/// A verified authorization request: everything here has been checked against the
/// registered client. It travels through the sign-in and consent screens sealed under
/// `SECRET_KEY` (see [`super::seal_request`]), so the browser carries it but cannot change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<PkceMethod>,
    pub prompt: Prompt,
    pub max_age: Option<u32>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// OIDC Core §3.1.2.1 `acr_values`, in order of preference: `ACR_MULTI_FACTOR` among
    /// them makes a session without a second factor show one (step-up).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// When `/authorize` received it (the request's lifetime counts from here).
    pub received_at: UnixTime,
    /// The same moment in milliseconds: `prompt=login` and `max_age` are satisfied by a
    /// sign-in after it, and one in the same second before the request is not after it
    /// (absent in requests sealed before it was recorded: seconds decide then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at_ms: Option<UnixMillis>,
    /// Set when the person pressed Deny on the consent screen for this request.
    #[serde(default)]
    pub denied: bool,
    /// The user who pressed Allow on the consent screen for this very request: what
    /// satisfies `prompt=consent` (a time would not: a consent given earlier in the same
    /// second as the request arrived is not an answer to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_by: Option<String>,
    /// RFC 8707 §2: the resources the tokens will be for (registered, and allowed for the
    /// client, when the request was parsed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code will be bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// Whether the request came through the PAR endpoint (RFC 9126), so a client that
    /// must push its requests may continue with it.
    #[serde(default)]
    pub pushed: bool,
}

/// How the parameters reached the server: what decides whether a client that must push
/// its requests (RFC 9126 §5, §6) is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In the browser's request to `/authorize`.
    FrontChannel,
    /// Through the PAR endpoint, from the client itself (at the push, and when
    /// `/authorize` takes the pushed request).
    Pushed,
}

/// RFC 7638 SHA-256 thumbprints are 32 bytes: 43 base64url characters.
fn valid_thumbprint(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl AuthorizationRequest {
    /// The request's parameters as `/authorize` received them (a query string).
    pub(super) fn to_params(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_type", self.response_type.as_str())
            .append_pair("response_mode", self.response_mode.as_str())
            .append_pair("scope", &self.scope.join(" "));
        let prompt = self.prompt.as_string();
        let optional = [
            ("state", self.state.as_deref()),
            ("nonce", self.nonce.as_deref()),
            ("code_challenge", self.code_challenge.as_deref()),
            ("code_challenge_method", self.code_challenge_method.map(PkceMethod::as_str)),
            ("prompt", prompt.as_deref()),
            ("login_hint", self.login_hint.as_deref()),
            ("ui_locales", self.ui_locales.as_deref()),
            ("dpop_jkt", self.dpop_jkt.as_deref()),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                q.append_pair(name, value);
            }
        }
        if let Some(max_age) = self.max_age {
            q.append_pair("max_age", &max_age.to_string());
        }
        if !self.acr_values.is_empty() {
            q.append_pair("acr_values", &self.acr_values.join(" "));
        }
        for resource in &self.resources {
            q.append_pair("resource", resource);
        }
        q.finish()
    }

    /// Checks a sealed request again when it comes back (`/authorize/resume`), against the
    /// client's registration and the settings as they are now: an admin may have removed
    /// the redirect URI, a scope or a response type while the person was signing in. The
    /// same rules as `/authorize`, in the same order (errors before the redirect URI is
    /// verified are an error page).
    pub fn recheck(
        &self,
        client: &Client,
        registered: &[TargetResource],
        config: &Config,
        now: UnixTime,
    ) -> Result<(), AuthorizeError> {
        let params = Form::parse(self.to_params().as_bytes())
            .map_err(|e| AuthorizeError::page("invalid_request", &e.describe()))?;
        let via = if self.pushed { Via::Pushed } else { Via::FrontChannel };
        parse(&params, Some(client), registered, config, now * 1000, via).map(|_| ())
    }

    pub fn target(&self) -> ResponseTarget {
        ResponseTarget { redirect_uri: self.redirect_uri.clone(), mode: self.response_mode, state: self.state.clone() }
    }

    pub fn wants_openid(&self) -> bool {
        self.scope.iter().any(|s| s == "openid")
    }
}

/// RFC 6749 §3.1.2.3 exact matching, with RFC 8252 §7.3's exception for native public
/// clients (`any_loopback_port`): for a loopback redirect URI registered with
/// `http://127.0.0.1` or `http://[::1]`, any port matches, since a native app gets its port
/// from the OS at run time. `localhost` gets no such exception (RFC 8252 §8.3), and web or
/// first-party clients never do: for them a port is part of the URI.
pub fn redirect_uri_matches(registered: &str, presented: &str, any_loopback_port: bool) -> bool {
    if registered == presented {
        return true;
    }
    if !any_loopback_port {
        return false;
    }
    match (loopback_without_port(registered), loopback_without_port(presented)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `http://127.0.0.1:PORT/rest` → `http://127.0.0.1/rest` (same for `[::1]`); `None` for
/// anything that is not an http loopback-IP URI with a valid port.
fn loopback_without_port(uri: &str) -> Option<String> {
    for host in ["127.0.0.1", "[::1]"] {
        let Some(rest) = uri.strip_prefix("http://").and_then(|r| r.strip_prefix(host)) else { continue };
        let (port, path) = match rest.strip_prefix(':') {
            Some(after) => {
                let end = after.find(['/', '?', '#']).unwrap_or(after.len());
                (Some(after.get(..end)?), after.get(end..)?)
            }
            None => (None, rest),
        };
        if let Some(port) = port {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        if !(path.is_empty() || path.starts_with(['/', '?'])) {
            return None;
        }
        return Some(format!("http://{host}{path}"));
    }
    None
}

/// Checks `params` against `client` (already looked up by `client_id`; `None` if unknown)
/// and `known_resources`, the registered resources among those the request names.
///
/// Order (RFC 6749 §4.1.2.1): the client and redirect URI first, with errors for the
/// error page; everything after that goes back to the client as a redirect. `params` are
/// plain parameters: a request object or `request_uri` has been resolved before (`par`,
/// `request_object`).
pub fn parse(
    params: &Form,
    client: Option<&Client>,
    known_resources: &[TargetResource],
    config: &Config,
    now_ms: UnixMillis,
    via: Via,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let now = now_ms.div_euclid(1000);
    let Some(client_id) = params.get("client_id") else {
        return Err(AuthorizeError::page("invalid_request", "the client_id parameter is missing"));
    };
    let Some(client) = client.filter(|c| c.client_id == client_id) else {
        return Err(AuthorizeError::page("invalid_client", "the client is not registered with this server"));
    };
    // OIDC Core §3.1.2.1 makes redirect_uri REQUIRED; requiring it for plain OAuth too means
    // the token request always has one to compare (RFC 6749 §4.1.3).
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(AuthorizeError::page("invalid_request", "the redirect_uri parameter is missing"));
    };
    let any_port = client.native && client.client_type == ClientType::Public && !client.first_party;
    if !client.redirect_uris.iter().any(|r| redirect_uri_matches(r, redirect_uri, any_port)) {
        return Err(AuthorizeError::page(
            "invalid_request",
            "the redirect_uri is not registered for this client (it must match exactly)",
        ));
    }

    // From here on the client and the redirect URI are verified: errors go back to them.
    let response_type = params.get("response_type").map(ResponseType::parse);
    let mut target = ResponseTarget {
        redirect_uri: redirect_uri.to_owned(),
        mode: ResponseMode::Query,
        state: params.get("state").map(str::to_owned),
    };
    if let Some(Some(t)) = response_type {
        target.mode = t.default_mode();
    }
    if let Some(mode) = params.get("response_mode").and_then(ResponseMode::parse) {
        target.mode = mode;
    }
    let fail =
        |error: &'static str, description: &str| Err(AuthorizeError::redirect(target.clone(), error, description));

    let response_type = match response_type {
        None => return fail("invalid_request", "the response_type parameter is missing"),
        Some(None) => {
            return fail("unsupported_response_type", "response_type must be code, token, id_token or a combination")
        }
        Some(Some(t)) => t,
    };
    let response_mode = match params.get("response_mode") {
        None => response_type.default_mode(),
        Some(value) => match ResponseMode::parse(value) {
            Some(mode) => mode,
            None => return fail("invalid_request", "response_mode must be query, fragment or form_post"),
        },
    };
    // Multiple Response Types §5: tokens never travel in a query string.
    if response_mode == ResponseMode::Query && response_type.returns_tokens() {
        return fail("invalid_request", "response_mode=query cannot carry tokens; use fragment or form_post");
    }
    // RFC 9126 §5 and §6: a client that must push its requests (or every client, with
    // REQUIRE_PUSHED_AUTHORIZATION_REQUESTS) is not served from the front channel.
    if via == Via::FrontChannel && (config.security.require_par || client.require_par) {
        return fail(
            "invalid_request",
            "this client must push its authorization requests to the PAR endpoint first (RFC 9126)",
        );
    }
    // RFC 9101 §5: a request object inside a request object (or a pushed one) is not one
    // level of indirection this server follows.
    if params.get("request").is_some() || params.get("request_uri").is_some() {
        return fail("invalid_request", "request and request_uri cannot be nested in a request");
    }
    // RFC 9700 §2.1.2: no access tokens (and no code-less ID tokens) from this endpoint
    // unless the operator allows the implicit flow.
    if !config.security.allow_implicit && is_implicit(response_type.as_str()) {
        return fail(
            "unsupported_response_type",
            &format!(
                "response_type `{}` is turned off here (ALLOW_IMPLICIT); use code with PKCE",
                response_type.as_str()
            ),
        );
    }
    // The client must be registered for this exact response type, and the code for the
    // authorization_code grant it leads to.
    let registered = client.response_types.iter().any(|r| ResponseType::parse(r) == Some(response_type));
    if !registered || (response_type.code && !client.allows_grant("authorization_code")) {
        return fail(
            "unauthorized_client",
            &format!("this client is not registered for response_type `{}`", response_type.as_str()),
        );
    }

    let requested = match params.get("scope") {
        Some(requested) => match parse_scope(requested) {
            Ok(scope) => scope,
            Err(_) => return fail("invalid_scope", "the scope parameter is malformed (RFC 6749 §3.3)"),
        },
        None => client.default_scope(&config.default_scopes),
    };
    // What the scopes require comes with them (docs/api.md, "Scopes"), and the consent
    // screen shows it.
    let scope = client.with_required(requested.clone());
    if let Some(refusal) = client.scope_refusal(&requested, &scope) {
        return fail("invalid_scope", &refusal);
    }
    let openid = scope.iter().any(|s| s == "openid");
    if response_type.id_token && !openid {
        return fail("invalid_scope", "response_type id_token needs the openid scope");
    }
    // RFC 8707 §2: each resource registered and allowed for the client. Tokens straight
    // from this endpoint (implicit) have no resource indicators here: the code flow does.
    let resources = match resources::requested(params) {
        Ok(r) if !r.is_empty() && response_type.token => {
            return fail("invalid_target", "resource indicators are served with response_type code")
        }
        Ok(r) => match resources::resolve(&r, known_resources, client) {
            Ok(_) => r,
            Err(why) => return fail("invalid_target", &why),
        },
        Err(why) => return fail("invalid_target", &why),
    };
    let nonce = params.get("nonce").map(str::to_owned);
    // OIDC Core §3.2.2.1, §3.3.2.11: an ID token from this endpoint must carry a nonce.
    if response_type.id_token && nonce.is_none() {
        return fail("invalid_request", "nonce is required when an ID token is returned from /authorize");
    }

    let prompt = match params.get("prompt").map(Prompt::parse) {
        None => Prompt::default(),
        Some(Some(p)) if p.none && (p.login || p.consent || p.select_account) => {
            return fail("invalid_request", "prompt=none cannot be combined with other values (OIDC Core §3.1.2.1)")
        }
        Some(Some(p)) => p,
        Some(None) => return fail("invalid_request", "prompt must be none, login, consent or select_account"),
    };
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => return fail("invalid_request", "max_age must be a non-negative number of seconds"),
        },
    };

    // RFC 7636 §4.3–4.4.1. S256 always; plain only when ALLOW_PLAIN_PKCE=true.
    let code_challenge = params.get("code_challenge");
    let method = match (code_challenge, params.get("code_challenge_method")) {
        (None, Some(_)) => return fail("invalid_request", "code_challenge_method without code_challenge"),
        (None, None) => None,
        // §4.3: "defaults to plain if not present".
        (Some(_), method) => match PkceMethod::parse(method.unwrap_or("plain")) {
            Some(PkceMethod::Plain) if !config.security.allow_plain_pkce => {
                return fail("invalid_request", "code_challenge_method must be S256 (plain is not allowed here)")
            }
            Some(m) => Some(m),
            None => return fail("invalid_request", "code_challenge_method must be S256"),
        },
    };
    if let Some(challenge) = code_challenge {
        if !valid_challenge(challenge) {
            return fail("invalid_request", "code_challenge must be 43 to 128 unreserved characters (RFC 7636 §4.2)");
        }
    }
    // RFC 9700 §2.1.1: PKCE for every client of the code flow (what binds a public client's
    // code to it); REQUIRE_PKCE=false relaxes it for confidential clients only.
    let pkce_required = client.client_type == ClientType::Public || config.security.require_pkce || client.fapi2;
    if response_type.code && pkce_required && code_challenge.is_none() {
        return fail("invalid_request", "PKCE (code_challenge with S256) is required (RFC 7636, RFC 9700 §2.1.1)");
    }
    if client.fapi2 && method != Some(PkceMethod::S256) {
        return fail("invalid_request", "FAPI 2.0 §5.3.2.2: code_challenge_method is S256");
    }
    if client.fapi2 && (!response_type.code || response_type.returns_tokens()) {
        return fail("unsupported_response_type", "FAPI 2.0 §5.3.2.2: the only response type is code");
    }
    // RFC 9449 §10: the key the code is bound to.
    let dpop_jkt = params.get("dpop_jkt");
    if dpop_jkt.is_some_and(|jkt| !valid_thumbprint(jkt)) {
        return fail(
            "invalid_request",
            "dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters, RFC 7638)",
        );
    }
    if dpop_jkt.is_some() && !response_type.code {
        return fail("invalid_request", "dpop_jkt binds a code: it needs response_type code");
    }

    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        response_type,
        response_mode,
        scope,
        state: target.state.clone(),
        nonce,
        code_challenge: code_challenge.map(str::to_owned),
        code_challenge_method: method,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        ui_locales: params.get("ui_locales").map(str::to_owned),
        acr_values: params
            .get("acr_values")
            .map(|v| v.split(' ').filter(|a| !a.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        received_at: now,
        received_at_ms: Some(now_ms),
        denied: false,
        consented_by: None,
        resources,
        dpop_jkt: dpop_jkt.map(str::to_owned),
        pushed: via == Via::Pushed,
    })
}
