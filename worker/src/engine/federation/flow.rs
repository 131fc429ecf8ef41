//! The relying party's side of a sign-in at another OpenID provider (OIDC Core §3.1):
//! discovery, the authorization request with `state`, `nonce` and PKCE (RFC 7636) bound to
//! this browser by a sealed short-lived cookie, and the callback's code exchange.

use serde::{Deserialize, Serialize};

use super::id_token::{self, Expected, JwkSet, ProviderClaims};
use crate::engine::crypto::pkce::s256_challenge;
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::random_token;
use crate::engine::platform::config::providers::ProviderConfig;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::{Es256Verifier, HttpClient, Random, RsaSigner, UnixTime};

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
}

impl Flow {
    pub fn seal(&self, config: &Config, rng: &impl Random) -> Result<String, InternalError> {
        let json = serde_json::to_vec(self).map_err(|e| InternalError::new(format!("flow JSON: {e}")))?;
        sealed::seal(&config.secret_key, Purpose::FederationFlow, ASSOCIATED_DATA, &json, rng)
    }

    pub fn open(config: &Config, value: &str, now: UnixTime) -> Option<Flow> {
        let bytes = sealed::open(&config.secret_key, Purpose::FederationFlow, ASSOCIATED_DATA, value).ok()?;
        let flow: Flow = serde_json::from_slice(&bytes).ok()?;
        (0..FLOW_SECONDS).contains(&(now - flow.issued_at)).then_some(flow)
    }
}

fn failed(description: impl Into<String>) -> ApiError {
    ApiError::Request { status: 400, code: "social_login_failed", description: description.into() }
}

/// The provider named `name`, if configured.
pub fn provider<'a>(config: &'a Config, name: &str) -> Result<&'a ProviderConfig, ApiError> {
    config.providers.iter().find(|p| p.name == name).ok_or(ApiError::NotFound)
}

/// `forward_url` (base64 of where to land, the product docs' form): a path on this server
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
    let origin = url::Url::parse(&config.issuer).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    let path = decoded.strip_prefix(&origin).unwrap_or(&decoded);
    let local = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.contains('\n');
    if local {
        Ok(path.to_owned())
    } else {
        Err(failed("forward_url must be an address on this server"))
    }
}

/// OpenID Connect Discovery 1.0 §3, the members used here.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// Absent means `client_secret_basic` (Discovery §3).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

fn get_json<T: serde::de::DeserializeOwned>(
    reply: crate::engine::platform::ports::HttpReply,
    what: &str,
) -> Result<T, ApiError> {
    if reply.status != 200 {
        return Err(failed(format!("the provider's {what} answered HTTP {}", reply.status)));
    }
    serde_json::from_str(&reply.body)
        .map_err(|_| failed(format!("the provider's {what} is not what OpenID Connect specifies")))
}

/// The provider's discovery document; its `issuer` must be the configured one (§4.3).
pub async fn discover(http: &impl HttpClient, provider: &ProviderConfig) -> Result<Discovery, ApiError> {
    let url = format!("{}/.well-known/openid-configuration", provider.issuer);
    let discovery: Discovery = get_json(http.get(&url, None).await?, "discovery document")?;
    if discovery.issuer != provider.issuer {
        return Err(failed("the provider's discovery document names another issuer"));
    }
    Ok(discovery)
}

/// This server's redirect URI at the provider.
pub fn callback_uri(config: &Config, provider: &ProviderConfig) -> String {
    config.endpoint(&format!("/auth/{}/callback", provider.name))
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
    let discovery = discover(http, provider).await?;
    let flow = Flow {
        provider: provider.name.clone(),
        state: random_token(rng)?,
        nonce: random_token(rng)?,
        verifier: random_token(rng)?,
        forward,
        link_user,
        issued_at: now,
    };
    let mut url = url::Url::parse(&discovery.authorization_endpoint)
        .map_err(|_| failed("the provider's authorization endpoint is not a URL"))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", &callback_uri(config, provider))
        .append_pair("scope", &provider.scopes.join(" "))
        .append_pair("state", &flow.state)
        .append_pair("nonce", &flow.nonce)
        .append_pair("code_challenge", &s256_challenge(&flow.verifier))
        .append_pair("code_challenge_method", "S256");
    Ok((url.into(), flow.seal(config, rng)?))
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
}

/// `GET /auth/{provider}/callback`: the state checked against this browser's flow, the
/// code exchanged (PKCE verifier, client secret), the ID token verified.
pub async fn finish<V: RsaSigner + Es256Verifier>(
    config: &Config,
    http: &impl HttpClient,
    verifier: &V,
    flow: &Flow,
    code: &str,
    state: &str,
    now: UnixTime,
) -> Result<ProviderClaims, ApiError> {
    use subtle::ConstantTimeEq;
    if !bool::from(flow.state.as_bytes().ct_eq(state.as_bytes())) {
        return Err(failed("the answer does not belong to this browser's sign-in (state mismatch)"));
    }
    let provider = provider(config, &flow.provider)?;
    let discovery = discover(http, provider).await?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &callback_uri(config, provider))
        .append_pair("code_verifier", &flow.verifier);
    // client_secret_basic unless the provider takes only client_secret_post (LinkedIn).
    let methods = discovery.token_endpoint_auth_methods_supported.as_deref().unwrap_or_default();
    let post_only = !methods.is_empty()
        && !methods.iter().any(|m| m == "client_secret_basic")
        && methods.iter().any(|m| m == "client_secret_post");
    let basic = if post_only {
        form.append_pair("client_id", &provider.client_id)
            .append_pair("client_secret", provider.client_secret.expose());
        None
    } else {
        Some((provider.client_id.as_str(), provider.client_secret.expose()))
    };
    let body = form.finish();
    let tokens: TokenAnswer =
        get_json(http.post_form(&discovery.token_endpoint, &body, basic).await?, "token endpoint")?;
    let keys: JwkSet = get_json(http.get(&discovery.jwks_uri, None).await?, "JWKS")?;
    let expected = Expected { issuer: &discovery.issuer, client_id: &provider.client_id, nonce: &flow.nonce, now };
    match id_token::verify(verifier, &tokens.id_token, &keys, &expected).await? {
        Ok(claims) => Ok(claims),
        Err(why) => Err(failed(why)),
    }
}
