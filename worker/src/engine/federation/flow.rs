//! The relying party's side of a sign-in at another identity provider (RFC 6749 §4.1,
//! OIDC Core §3.1): `state`, `nonce` and the PKCE verifier (RFC 7636) bound to this browser
//! by a sealed short-lived cookie, the landing place after it, and the callback's state
//! check; each provider's protocol is in `protocols`.

use serde::{Deserialize, Serialize};

use super::protocols::{self, openid, Answer, Callback};
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::random_token;
use crate::engine::platform::config::providers::{Protocol, ProviderConfig};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{Es256Signer, Es256Verifier, HttpClient, JwsSigner, Random, UnixTime};

/// The cookie that binds a provider's answer to the browser that asked.
pub const FLOW_COOKIE: &str = "authority_social";
/// How long the person may take at the provider.
pub const FLOW_SECONDS: UnixTime = 600;
const ASSOCIATED_DATA: &[u8] = b"federation-flow";

/// A sign-in at a provider in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where the browser goes afterwards: a path on this server.
    pub forward: String,
    /// `link=true`: the signed-in account the identity is to be linked to.
    pub link_user: Option<String>,
    pub issued_at: UnixTime,
    /// OpenID providers: what discovery said at the start, so the callback needs no second
    /// fetch of the discovery document.
    #[serde(default)]
    pub endpoints: Option<openid::Endpoints>,
}

impl Flow {
    pub fn seal(&self, config: &Config, rng: &impl Random) -> Result<String, InternalError> {
        let json = serde_json::to_vec(self).map_err(|e| InternalError::new(format!("flow JSON: {e}")))?;
        sealed::seal(&config.secret_key, Purpose::FederationFlow, ASSOCIATED_DATA, &json, rng)
    }

    pub fn open(config: &Config, value: &str, now: UnixTime) -> Option<Flow> {
        let bytes = sealed::open(&config.secret_key, Purpose::FederationFlow, ASSOCIATED_DATA, value).ok()?;
        let flow: Flow = crate::engine::platform::json::parse(&bytes).ok()?;
        (0..FLOW_SECONDS).contains(&(now - flow.issued_at)).then_some(flow)
    }
}

/// A provider sign-in that could not be completed, with the reason.
pub fn failed(description: impl Into<String>) -> ApiError {
    ApiError::bad_request("social_login_failed", description)
}

/// The provider named `name`, if configured.
pub fn provider<'a>(config: &'a Config, name: &str) -> Result<&'a ProviderConfig, ApiError> {
    config.providers.iter().find(|p| p.name == name).ok_or(ApiError::Missing("sign-in provider"))
}

/// `forward_url` (base64 of where to land; docs/api.md, "Endpoints"): a path on this server
/// or an absolute URL at the issuer's origin, never another site (no open redirect).
pub fn forward_target(config: &Config, forward_url: Option<&str>) -> Result<String, ApiError> {
    use base64::Engine;
    let Some(encoded) = forward_url.filter(|f| !f.is_empty()) else { return Ok("/account".into()) };
    let trimmed = encoded.trim_end_matches('=');
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| failed("forward_url must be base64 of a URL"))?;
    shared::return_to::local_target(&decoded, &config.issuer)
        .ok_or_else(|| failed("forward_url must be an address on this server"))
}

/// This server's redirect URI at the provider.
pub fn callback_uri(config: &Config, provider: &ProviderConfig) -> String {
    config.endpoint(&format!("/auth/{}/callback", provider.name))
}

/// Whether the provider answers by a cross-site `POST` (`response_mode=form_post`, Sign in
/// with Apple), so the flow cookie must be `SameSite=None` to come back with it.
pub fn answers_by_form_post(provider: &ProviderConfig) -> bool {
    matches!(provider.protocol, Protocol::Apple(_))
}

/// `GET /auth/{provider}`: the authorization request's URL and the sealed flow cookie.
pub async fn start(
    config: &Config,
    http: &impl HttpClient,
    rng: &impl Random,
    provider: &ProviderConfig,
    forward: String,
    link_user: Option<String>,
    now: UnixTime,
) -> Result<(String, String), ApiError> {
    let mut flow = Flow {
        provider: provider.name.clone(),
        state: random_token(rng)?,
        nonce: random_token(rng)?,
        verifier: random_token(rng)?,
        forward,
        link_user,
        issued_at: now,
        endpoints: None,
    };
    let url = protocols::authorization_url(config, http, provider, &mut flow).await?;
    Ok((url, flow.seal(config, rng)?))
}

/// `/auth/{provider}/callback`: the state checked against this browser's flow, then the
/// provider's protocol turns the code into a verified identity.
pub async fn finish<C: JwsSigner + Es256Verifier + Es256Signer>(
    config: &Config,
    http: &impl HttpClient,
    crypto: &C,
    flow: &Flow,
    answer: &Callback<'_>,
    state: &str,
    now: UnixTime,
) -> Result<Answer, ApiError> {
    use subtle::ConstantTimeEq;
    if !bool::from(flow.state.as_bytes().ct_eq(state.as_bytes())) {
        return Err(failed("the answer does not belong to this browser's sign-in (state mismatch)"));
    }
    let provider = provider(config, &flow.provider)?;
    protocols::exchange(&protocols::Exchange { config, http, crypto, provider, flow, now }, answer).await
}
