//! The browser sign-in and consent conversation between the SPA and the worker.
//!
//! Every state-changing call carries the CSRF token from [`SessionInfo`] in the
//! `X-CSRF-Token` header (double submit: it must equal the `authority_csrf` cookie).

use serde::{Deserialize, Serialize};

/// The header that carries the CSRF token on every state-changing call.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// `GET /api/session`: who is signed in in this browser, and the CSRF token for the
/// calls that follow. `POST /api/session` answers the same after a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub csrf_token: String,
    pub user: Option<SessionUser>,
    /// After a right password: the step that comes next, if any (the second factor, a
    /// password change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<crate::mfa::SignInStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /api/session`: password sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// `GET /api/authorize?request=...`: what the sign-in and consent screens show about a
/// pending authorization request (the request itself stays sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationDetails {
    pub client_id: String,
    pub client_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// The app's own terms and privacy policy (RFC 7591 §2 `tos_uri`, `policy_uri`), linked
    /// on consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    pub scopes: Vec<ScopeInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales: Option<String>,
    /// The app asked the person to choose an account (`prompt=select_account`).
    pub select_account: bool,
    /// Where the browser goes to carry on once signed in (or to pick the current account).
    pub continue_url: String,
    /// The protected resources (RFC 8707) the app's tokens will be for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceInfo>,
    /// The app registered itself (no admin vouched for it): the screen says so and
    /// names where it sends the person back (`redirect_host`).
    #[serde(default)]
    pub self_registered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_host: Option<String>,
    /// A client identified by a metadata document (its client_id is the document's URL):
    /// the document's host, which the screen names prominently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_host: Option<String>,
    /// Every redirect URI of the client is on this computer (localhost): the screen warns.
    #[serde(default)]
    pub localhost_only: bool,
}

/// A protected resource as the consent screen names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceInfo {
    pub identifier: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeInfo {
    pub name: String,
    pub description: String,
}

/// `POST /api/consent`: the answer on the consent screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDecision {
    /// The sealed request from the page's URL.
    pub request: String,
    pub allow: bool,
}

/// Where the browser should go next (a full navigation: it may leave the SPA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextLocation {
    pub location: String,
}
