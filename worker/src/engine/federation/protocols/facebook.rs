//! Facebook Login's manual flow (Meta for Developers, "Manually Build a Login Flow"): the
//! dialog with `state` and PKCE, the code exchanged at the Graph API, then `/me` with
//! `appsecret_proof` (HMAC-SHA256 of the token under the app secret, "Securing Graph API
//! Requests"). Facebook does not say whether it verified the address, so a Facebook
//! identity never links to an existing account by address alone.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::{json, with_query, Answer, TokenAnswer};
use crate::engine::crypto::pkce::s256_challenge;
use crate::engine::federation::flow::{callback_uri, failed, Flow};
use crate::engine::federation::id_token::ProviderClaims;
use crate::engine::platform::config::providers::ProviderConfig;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::{ApiError, InternalError};
use crate::engine::platform::ports::HttpClient;

/// The Graph API version asked for (each lives about two years).
pub const GRAPH_VERSION: &str = "v23.0";

pub fn authorization_url(
    config: &Config,
    provider: &ProviderConfig,
    flow: &Flow,
    web: &str,
) -> Result<String, ApiError> {
    with_query(
        &format!("{web}/{GRAPH_VERSION}/dialog/oauth"),
        &[
            ("client_id", &provider.client_id),
            ("redirect_uri", &callback_uri(config, provider)),
            ("response_type", "code"),
            ("scope", &provider.scopes.join(",")),
            ("state", &flow.state),
            ("code_challenge", &s256_challenge(&flow.verifier)),
            ("code_challenge_method", "S256"),
        ],
    )
}

#[derive(Deserialize)]
struct Me {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// `appsecret_proof`: hex HMAC-SHA256 of the access token keyed by the app secret.
pub fn appsecret_proof(secret: &str, access_token: &str) -> Result<String, InternalError> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| InternalError::new("HMAC key length"))?;
    mac.update(access_token.as_bytes());
    Ok(mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect())
}

pub async fn exchange(
    config: &Config,
    http: &impl HttpClient,
    provider: &ProviderConfig,
    flow: &Flow,
    graph: &str,
    code: &str,
) -> Result<Answer, ApiError> {
    let redirect_uri = callback_uri(config, provider);
    let url = with_query(
        &format!("{graph}/{GRAPH_VERSION}/oauth/access_token"),
        &[
            ("client_id", &provider.client_id),
            ("client_secret", provider.client_secret.expose()),
            ("redirect_uri", &redirect_uri),
            ("code", code),
            ("code_verifier", &flow.verifier),
        ],
    )?;
    let tokens = TokenAnswer::read(http.get(&url, None).await?)?.tokens()?;
    let proof = appsecret_proof(provider.client_secret.expose(), &tokens.access_token)?;
    let me_url = with_query(
        &format!("{graph}/{GRAPH_VERSION}/me"),
        &[("fields", "id,name,email"), ("appsecret_proof", &proof)],
    )?;
    let me: Me = json(http.get(&me_url, Some(&tokens.access_token)).await?, "/me")?;
    if me.id.is_empty() {
        return Err(failed("Facebook named no user"));
    }
    let claims = ProviderClaims { sub: me.id, email: me.email, email_verified: None, name: me.name };
    Ok(Answer { claims, tokens })
}
