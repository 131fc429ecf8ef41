//! The authorization endpoint (RFC 6749 §3.1, §4.1, §4.2; OIDC Core §3): the request is
//! verified ([`request::parse`]), sealed while the person signs in and consents, and
//! answered with a code and/or tokens ([`issue`]) in the requested response mode.
//!
//! Multi-step: [`decide`] returns what must happen next ([`Next`]); only the edge turns
//! that into a redirect to a screen (docs/architecture.md, "Multi-step flows return outcomes").

pub mod issue;
pub mod live;
pub mod pushed;
pub mod request;
pub mod request_object;
mod values;

use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::identity::sessions::Session;
use crate::engine::oauth::consent::Consent;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ErrorResponse, InternalError};
use crate::engine::platform::ports::{Random, UnixTime};
pub use request::{AuthorizationRequest, ResponseMode, ResponseType};
use shared::codes;
use shared::mfa::ACR_MULTI_FACTOR;

/// Where and how an authorization response (or error) goes back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTarget {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

/// An authorization response: parameters for the client's redirect URI. Every response,
/// success or error, carries `iss` (RFC 9207 §2) and the request's `state` (RFC 6749 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl AuthorizationResponse {
    fn new(config: &Config, target: &ResponseTarget, mut params: Vec<(String, String)>) -> Self {
        if let Some(state) = &target.state {
            params.push(("state".into(), state.clone()));
        }
        params.push(("iss".into(), config.issuer.clone()));
        AuthorizationResponse { redirect_uri: target.redirect_uri.clone(), mode: target.mode, params }
    }

    /// The URL to redirect to, for `query` and `fragment` (`form_post` is a page instead).
    pub fn location(&self) -> String {
        let mut encoded = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            encoded.append_pair(k, v);
        }
        let encoded = encoded.finish();
        match self.mode {
            ResponseMode::Fragment => format!("{}#{encoded}", self.redirect_uri),
            // RFC 6749 §3.1.2: keep the registered URI's own query, add ours to it.
            _ if self.redirect_uri.contains('?') => format!("{}&{encoded}", self.redirect_uri),
            _ => format!("{}?{encoded}", self.redirect_uri),
        }
    }
}

/// Errors of the authorization endpoint. Whether an error may be sent to the client is
/// part of its type (docs/architecture.md, "One error type per endpoint family"): `Page` errors happened before the client and
/// its redirect URI were verified and are only ever shown on our own error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Page { error: &'static str, description: String },
    Redirect { target: ResponseTarget, error: &'static str, description: String },
    Internal(InternalError),
}

impl AuthorizeError {
    pub fn page(error: &'static str, description: &str) -> Self {
        AuthorizeError::Page { error, description: description.into() }
    }

    pub fn redirect(target: ResponseTarget, error: &'static str, description: &str) -> Self {
        AuthorizeError::Redirect { target, error, description: description.into() }
    }

    /// The redirect carrying this error to the client (RFC 6749 §4.1.2.1), if it may go there.
    pub fn response(&self, config: &Config) -> Option<AuthorizationResponse> {
        match self {
            AuthorizeError::Redirect { target, error, description } => Some(AuthorizationResponse::new(
                config,
                target,
                vec![("error".into(), (*error).into()), ("error_description".into(), description.clone())],
            )),
            _ => None,
        }
    }
}

impl From<InternalError> for AuthorizeError {
    fn from(e: InternalError) -> Self {
        AuthorizeError::Internal(e)
    }
}

/// For the error page (and logs): the same code/description shape as every API error.
impl ErrorResponse for AuthorizeError {
    fn code(&self) -> &'static str {
        match self {
            AuthorizeError::Page { error, .. } | AuthorizeError::Redirect { error, .. } => error,
            AuthorizeError::Internal(_) => codes::SERVER_ERROR,
        }
    }

    fn status(&self) -> u16 {
        match self {
            AuthorizeError::Internal(_) => 500,
            _ => 400,
        }
    }

    fn description(&self) -> Option<String> {
        match self {
            AuthorizeError::Page { description, .. } | AuthorizeError::Redirect { description, .. } => {
                Some(description.clone())
            }
            AuthorizeError::Internal(_) => Some("the server could not complete the request".into()),
        }
    }

    fn log_detail(&self) -> Option<String> {
        match self {
            AuthorizeError::Internal(e) => Some(e.detail().to_owned()),
            _ => None,
        }
    }
}

/// How long a sealed request stays usable: time enough to sign in, reset a forgotten
/// password in another tab and come back, short enough that old links die.
pub const REQUEST_LIFETIME: UnixTime = 30 * 60;

/// Seals a verified request for the round trip through the sign-in and consent screens:
/// AES-256-GCM under `SECRET_KEY`, so the browser can carry it but not read or alter it.
pub fn seal_request(
    config: &Config,
    request: &AuthorizationRequest,
    rng: &impl Random,
) -> Result<String, InternalError> {
    let json = serde_json::to_vec(request).map_err(|e| InternalError::new(format!("sealing a request: {e}")))?;
    sealed::seal(&config.secret_key, Purpose::AuthorizationRequest, b"authorize", &json, rng)
}

/// Opens a sealed request; anything altered, foreign or expired is the page error
/// `invalid_request` (never a redirect: nothing in it can be trusted).
pub fn open_request(config: &Config, sealed_text: &str, now: UnixTime) -> Result<AuthorizationRequest, AuthorizeError> {
    let expired = || {
        AuthorizeError::page("invalid_request", "this sign-in link is invalid or has expired; start again from the app")
    };
    let bytes = sealed::open(&config.secret_key, Purpose::AuthorizationRequest, b"authorize", sealed_text)
        .map_err(|_| expired())?;
    let request: AuthorizationRequest = crate::engine::platform::json::parse(&bytes).map_err(|_| expired())?;
    if now - request.received_at > REQUEST_LIFETIME || request.received_at > now + 60 {
        return Err(expired());
    }
    Ok(request)
}

/// What must happen before the request can be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The sign-in screen: no session, or the request wants a fresh sign-in.
    SignIn,
    /// `prompt=select_account`: the person confirms which account to continue with.
    SelectAccount,
    /// `acr_values` asks for a second factor the session has not shown: the `/mfa` step.
    SecondFactor,
    /// The consent screen.
    Consent,
    /// Everything is in place: answer the client.
    Issue,
}

/// What the browser's session and the stored consent mean for `request`.
pub struct Situation<'a> {
    pub session: Option<&'a Session>,
    pub consent: Option<&'a Consent>,
    /// First-party clients (the admin console) skip the consent screen unless asked for it.
    pub first_party: bool,
    /// The person chose an account on the select-account screen for this request.
    pub account_selected: bool,
}

/// Decides the next step (OIDC Core §3.1.2.3–3.1.2.4), or the `prompt=none` error when
/// that step would need the person (§3.1.2.6).
pub fn decide(
    request: &AuthorizationRequest,
    situation: &Situation<'_>,
    now: UnixTime,
) -> Result<Next, AuthorizeError> {
    let target = request.target();
    if request.denied {
        return Err(AuthorizeError::redirect(target, "access_denied", "the user denied the request"));
    }
    let silent = request.prompt.none;
    let needs_sign_in = match situation.session {
        None => true,
        Some(session) => {
            // A sign-in after the request arrived satisfies prompt=login and any max_age;
            // milliseconds tell a sign-in in the same second before it from one after it.
            let fresh = match (session.auth_time_ms, request.received_at_ms) {
                (Some(auth), Some(received)) => auth > received,
                _ => session.auth_time > request.received_at,
            };
            let too_old = request.max_age.is_some_and(|max| now - session.auth_time > i64::from(max));
            !fresh && (request.prompt.login || too_old)
        }
    };
    if needs_sign_in {
        return if silent {
            Err(AuthorizeError::redirect(target, "login_required", "the user is not signed in"))
        } else {
            Ok(Next::SignIn)
        };
    }
    // OIDC Core §3.1.2.1 acr_values: the multi-factor level makes a session signed in
    // with one factor show the second (§3.1.2.6 interaction_required when silent).
    let wants_second_factor = request.acr_values.iter().any(|a| a == ACR_MULTI_FACTOR);
    if wants_second_factor && !situation.session.is_some_and(Session::multi_factor) {
        return if silent {
            Err(AuthorizeError::redirect(target, "interaction_required", "a second factor is required"))
        } else {
            Ok(Next::SecondFactor)
        };
    }
    if request.prompt.select_account && !situation.account_selected {
        return Ok(Next::SelectAccount);
    }
    let covered = situation.consent.is_some_and(|c| request.scope.iter().all(|s| c.scopes.contains(s)));
    // OIDC Core §3.1.2.1 prompt=consent: answered on the consent screen for this request,
    // by the person signed in now, and the consent still stands.
    let consented_now = covered
        && request.consented_by.is_some()
        && request.consented_by.as_deref() == situation.session.map(|s| s.user_id.as_str());
    let needs_consent = if request.prompt.consent { !consented_now } else { !situation.first_party && !covered };
    if needs_consent {
        return if silent {
            Err(AuthorizeError::redirect(target, "consent_required", "the user has not consented to these scopes"))
        } else {
            Ok(Next::Consent)
        };
    }
    Ok(Next::Issue)
}

#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod prepared_tests;
#[cfg(test)]
mod pushed_tests;
#[cfg(test)]
mod tests;
