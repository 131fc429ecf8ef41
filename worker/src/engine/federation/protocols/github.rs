//! GitHub: the OAuth web application flow (GitHub Docs, "Authorizing OAuth apps") with
//! `state` and PKCE, then the person from the REST API — `GET /user` for the id and name,
//! `GET /user/emails` for the primary address and whether GitHub verified it (`/user`'s
//! `email` is only the public one, and says nothing of verification).

use serde::Deserialize;

use super::{json, with_query, Answer, TokenAnswer};
use crate::engine::crypto::pkce::s256_challenge;
use crate::engine::federation::flow::{callback_uri, failed, Flow};
use crate::engine::federation::id_token::ProviderClaims;
use crate::engine::platform::config::providers::ProviderConfig;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::HttpClient;

pub fn authorization_url(
    config: &Config,
    provider: &ProviderConfig,
    flow: &Flow,
    web: &str,
) -> Result<String, ApiError> {
    with_query(
        &format!("{web}/login/oauth/authorize"),
        &[
            ("client_id", &provider.client_id),
            ("redirect_uri", &callback_uri(config, provider)),
            ("scope", &provider.scopes.join(" ")),
            ("state", &flow.state),
            ("code_challenge", &s256_challenge(&flow.verifier)),
            ("code_challenge_method", "S256"),
        ],
    )
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    login: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// The code exchanged (`Accept: application/json`, or GitHub answers form-encoded), then
/// `/user` and `/user/emails` with the access token.
pub async fn exchange(
    config: &Config,
    http: &impl HttpClient,
    provider: &ProviderConfig,
    flow: &Flow,
    web: &str,
    api: &str,
    code: &str,
) -> Result<Answer, ApiError> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("client_id", &provider.client_id)
        .append_pair("client_secret", provider.client_secret.expose())
        .append_pair("code", code)
        .append_pair("redirect_uri", &callback_uri(config, provider))
        .append_pair("code_verifier", &flow.verifier);
    let url = format!("{web}/login/oauth/access_token");
    let tokens = TokenAnswer::read(http.post_form(&url, &form.finish(), None).await?)?.tokens()?;
    let bearer = Some(tokens.access_token.as_str());
    let user: GitHubUser = json(http.get(&format!("{api}/user"), bearer).await?, "/user")?;
    let emails: Vec<GitHubEmail> = json(http.get(&format!("{api}/user/emails"), bearer).await?, "/user/emails")?;
    let Some(primary) = emails.into_iter().find(|e| e.primary) else {
        return Err(failed("GitHub shared no primary email address (the user:email scope is needed)"));
    };
    let claims = ProviderClaims {
        sub: user.id.to_string(),
        email: Some(primary.email),
        email_verified: Some(primary.verified),
        name: user.name.filter(|n| !n.trim().is_empty()).or(Some(user.login)),
    };
    Ok(Answer { claims, tokens })
}
