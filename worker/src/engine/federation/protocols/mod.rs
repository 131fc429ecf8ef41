//! Each provider's protocol, one file each: OpenID Connect (Google, LinkedIn, any issuer),
//! GitHub's OAuth and REST API, Facebook's Graph API, Sign in with Apple. Each builds the
//! authorization request and turns the callback's code into a verified [`ProviderClaims`].

pub mod apple;
pub mod facebook;
pub mod github;
pub mod openid;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::flow::{failed, Flow};
use super::id_token::ProviderClaims;
use crate::engine::platform::config::providers::{Protocol, ProviderConfig};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{Es256Signer, Es256Verifier, HttpClient, HttpReply, JwsSigner, UnixTime};

/// What came back to the callback besides `state`.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    pub code: &'a str,
    /// Sign in with Apple's `user` form field (JSON with the name), sent on the first
    /// authorization only.
    pub user: Option<&'a str>,
}

/// The provider's tokens for the person, kept (sealed) only when configured to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderTokens {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
}

/// A verified identity at the provider, and the tokens that came with it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub claims: ProviderClaims,
    pub tokens: ProviderTokens,
}

/// The authorization request's URL (and, for OpenID providers, the discovered endpoints
/// put into `flow`).
pub async fn authorization_url(
    config: &Config,
    http: &impl HttpClient,
    provider: &ProviderConfig,
    flow: &mut Flow,
) -> Result<String, ApiError> {
    match &provider.protocol {
        Protocol::OpenId { issuer } => {
            let (authorization_endpoint, endpoints) = openid::discover(http, issuer).await?;
            flow.endpoints = Some(endpoints);
            openid::authorization_url(config, provider, flow, &authorization_endpoint)
        }
        Protocol::GitHub { web, .. } => github::authorization_url(config, provider, flow, web),
        Protocol::Facebook { web, .. } => facebook::authorization_url(config, provider, flow, web),
        Protocol::Apple(key) => apple::authorization_url(config, provider, flow, &key.base),
    }
}

/// One code exchange with a provider: what every protocol's exchange works with.
pub struct Exchange<'a, H, C> {
    pub config: &'a Config,
    pub http: &'a H,
    /// Verifies the provider's ID tokens; signs Apple's client secret.
    pub crypto: &'a C,
    pub provider: &'a ProviderConfig,
    /// The sign-in this callback ends (its PKCE verifier, nonce, endpoints).
    pub flow: &'a Flow,
    pub now: UnixTime,
}

/// The callback's code exchanged and the person's identity verified.
pub async fn exchange<H: HttpClient, C: JwsSigner + Es256Verifier + Es256Signer>(
    x: &Exchange<'_, H, C>,
    answer: &Callback<'_>,
) -> Result<Answer, ApiError> {
    let (config, http, provider, flow) = (x.config, x.http, x.provider, x.flow);
    match &provider.protocol {
        Protocol::OpenId { issuer } => {
            let endpoints = match &flow.endpoints {
                Some(endpoints) => endpoints.clone(),
                None => openid::discover(http, issuer).await?.1,
            };
            openid::exchange(x, &endpoints, answer.code).await
        }
        Protocol::GitHub { web, api } => github::exchange(config, http, provider, flow, web, api, answer.code).await,
        Protocol::Facebook { graph, .. } => facebook::exchange(config, http, provider, flow, graph, answer.code).await,
        Protocol::Apple(key) => apple::exchange(x, key, answer).await,
    }
}

/// A URL with query parameters.
pub(super) fn with_query(base: &str, pairs: &[(&str, &str)]) -> Result<String, ApiError> {
    let mut url = url::Url::parse(base).map_err(|_| failed("the provider's endpoint is not a URL"))?;
    url.query_pairs_mut().extend_pairs(pairs);
    Ok(url.into())
}

/// A JSON answer of the provider: 200 and the expected shape.
pub(super) fn json<T: serde::de::DeserializeOwned>(reply: HttpReply, what: &str) -> Result<T, ApiError> {
    if reply.status != 200 {
        return Err(failed(format!("the provider's {what} answered HTTP {}", reply.status)));
    }
    serde_json::from_str(&reply.body).map_err(|_| failed(format!("the provider's {what} answer is not as documented")))
}

/// A token endpoint's answer (RFC 6749 §5.1, §5.2). GitHub answers errors with 200 and an
/// `error` member, so `error` is looked at whatever the status.
#[derive(Debug, Deserialize)]
pub(super) struct TokenAnswer {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<f64>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

impl TokenAnswer {
    pub(super) fn read(reply: HttpReply) -> Result<TokenAnswer, ApiError> {
        let answer: Option<TokenAnswer> = crate::engine::platform::json::parse(reply.body.as_bytes()).ok();
        match answer {
            Some(TokenAnswer { error: Some(error), .. }) => {
                Err(failed(format!("the provider's token endpoint answered {error}")))
            }
            Some(answer) if reply.status == 200 => Ok(answer),
            _ => Err(failed(format!("the provider's token endpoint answered HTTP {}", reply.status))),
        }
    }

    /// The tokens to keep, if configured; the access token must be there.
    pub(super) fn tokens(&self) -> Result<ProviderTokens, ApiError> {
        let Some(access_token) = self.access_token.clone() else {
            return Err(failed("the provider's token endpoint gave no access token"));
        };
        Ok(ProviderTokens {
            access_token,
            refresh_token: self.refresh_token.clone(),
            expires_in: self.expires_in.map(|s| s as i64),
        })
    }
}
