//! OpenID Connect towards an issuer (Google, LinkedIn, `OIDC_PROVIDERS`): discovery (OpenID
//! Connect Discovery 1.0 §4, the issuer must match), the authorization request with `nonce`
//! and PKCE (OIDC Core §3.1.2.1, RFC 7636), the code exchange with the client
//! authentication discovery allows, and the ID token verified against the JWKS.

use serde::{Deserialize, Serialize};

use super::{json, with_query, Answer, Exchange, TokenAnswer};
use crate::engine::crypto::pkce::s256_challenge;
use crate::engine::federation::flow::{callback_uri, failed, Flow};
use crate::engine::federation::id_token::{self, Expected, JwkSet, ProviderClaims};
use crate::engine::platform::config::providers::ProviderConfig;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{Es256Verifier, HttpClient, JwsSigner};

/// OpenID Connect Discovery 1.0 §3, the members used here.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    /// Absent means `client_secret_basic` (Discovery §3).
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// What the callback needs of the discovery document (carried in the sealed flow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// The token endpoint takes only `client_secret_post` (LinkedIn).
    pub post_only: bool,
}

/// The discovery document of `issuer`: its authorization endpoint and what the callback needs.
pub async fn discover(http: &impl HttpClient, issuer: &str) -> Result<(String, Endpoints), ApiError> {
    let url = format!("{issuer}/.well-known/openid-configuration");
    let discovery: Discovery = json(http.get(&url, None).await?, "discovery document")?;
    if discovery.issuer != issuer {
        return Err(failed("the provider's discovery document names another issuer"));
    }
    let methods = discovery.token_endpoint_auth_methods_supported.unwrap_or_default();
    let post_only = !methods.is_empty()
        && !methods.iter().any(|m| m == "client_secret_basic")
        && methods.iter().any(|m| m == "client_secret_post");
    let endpoints = Endpoints {
        issuer: discovery.issuer,
        token_endpoint: discovery.token_endpoint,
        jwks_uri: discovery.jwks_uri,
        post_only,
    };
    Ok((discovery.authorization_endpoint, endpoints))
}

/// OIDC Core §3.1.2.1 with PKCE.
pub fn authorization_url(
    config: &Config,
    provider: &ProviderConfig,
    flow: &Flow,
    authorization_endpoint: &str,
) -> Result<String, ApiError> {
    with_query(
        authorization_endpoint,
        &[
            ("response_type", "code"),
            ("client_id", &provider.client_id),
            ("redirect_uri", &callback_uri(config, provider)),
            ("scope", &provider.scopes.join(" ")),
            ("state", &flow.state),
            ("nonce", &flow.nonce),
            ("code_challenge", &s256_challenge(&flow.verifier)),
            ("code_challenge_method", "S256"),
        ],
    )
}

/// The ID token `token` verified against the provider's keys at `jwks_uri` (OIDC Core
/// §3.1.3.7); also Sign in with Apple's.
pub async fn verified_id_token<V: JwsSigner + Es256Verifier>(
    http: &impl HttpClient,
    verifier: &V,
    jwks_uri: &str,
    token: &str,
    expected: &Expected<'_>,
) -> Result<ProviderClaims, ApiError> {
    let keys: JwkSet = json(http.get(jwks_uri, None).await?, "JWKS")?;
    id_token::verify(verifier, token, &keys, expected).await?.map_err(failed)
}

/// OIDC Core §3.1.3: the code exchanged at the token endpoint, the ID token verified.
pub async fn exchange<H: HttpClient, V: JwsSigner + Es256Verifier>(
    x: &Exchange<'_, H, V>,
    endpoints: &Endpoints,
    code: &str,
) -> Result<Answer, ApiError> {
    let (config, http, verifier, provider, flow, now) = (x.config, x.http, x.crypto, x.provider, x.flow, x.now);
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &callback_uri(config, provider))
        .append_pair("code_verifier", &flow.verifier);
    // client_secret_basic unless the provider takes only client_secret_post (RFC 6749 §2.3.1).
    let basic = if endpoints.post_only {
        form.append_pair("client_id", &provider.client_id)
            .append_pair("client_secret", provider.client_secret.expose());
        None
    } else {
        Some((provider.client_id.as_str(), provider.client_secret.expose()))
    };
    let answer = TokenAnswer::read(http.post_form(&endpoints.token_endpoint, &form.finish(), basic).await?)?;
    let Some(id_token) = answer.id_token.as_deref() else {
        return Err(failed("the provider's token endpoint gave no ID token"));
    };
    let expected = Expected { issuer: &endpoints.issuer, client_id: &provider.client_id, nonce: &flow.nonce, now };
    let claims = verified_id_token(http, verifier, &endpoints.jwks_uri, id_token, &expected).await?;
    Ok(Answer { claims, tokens: answer.tokens()? })
}
