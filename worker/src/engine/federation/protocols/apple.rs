//! Sign in with Apple (Apple Developer, "Sign in with Apple REST API"): the authorization
//! request with `response_mode=form_post` (Apple asks for it whenever `name` or `email` is
//! requested, so the callback is a cross-site `POST`), the client secret an ES256 JWT signed
//! here with the team's key ("Creating a client secret"), the ID token verified against
//! Apple's keys. The name comes only in the first authorization's `user` form field; it is
//! used for a new account's name and nothing else (it is not signed).

use serde::Deserialize;
use serde_json::json;

use super::openid::verified_id_token;
use super::{with_query, Answer, Callback, Exchange, TokenAnswer};
use crate::engine::crypto::jose::b64url;
use crate::engine::federation::flow::{callback_uri, failed, Flow};
use crate::engine::federation::id_token::Expected;
use crate::engine::platform::config::providers::{AppleKey, ProviderConfig};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{Es256Signer, Es256Verifier, HttpClient, JwsSigner, UnixTime};

/// How long a client secret made for one exchange lives (Apple allows up to six months).
const CLIENT_SECRET_SECONDS: UnixTime = 300;

pub fn authorization_url(
    config: &Config,
    provider: &ProviderConfig,
    flow: &Flow,
    base: &str,
) -> Result<String, ApiError> {
    with_query(
        &format!("{base}/auth/authorize"),
        &[
            ("response_type", "code"),
            ("response_mode", "form_post"),
            ("client_id", &provider.client_id),
            ("redirect_uri", &callback_uri(config, provider)),
            ("scope", &provider.scopes.join(" ")),
            ("state", &flow.state),
            ("nonce", &flow.nonce),
        ],
    )
}

/// The client secret: a JWT (`iss` team, `sub` client id, `aud` Apple) signed ES256 with
/// the key `kid`.
pub async fn client_secret(
    signer: &impl Es256Signer,
    key: &AppleKey,
    client_id: &str,
    now: UnixTime,
) -> Result<String, ApiError> {
    let header = json!({ "alg": "ES256", "kid": key.key_id, "typ": "JWT" });
    let claims = json!({ "iss": key.team_id, "iat": now, "exp": now + CLIENT_SECRET_SECONDS,
        "aud": key.base, "sub": client_id });
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = signer.sign_es256(&key.private_key.0, input.as_bytes()).await?;
    Ok(format!("{input}.{}", b64url(&signature)))
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    name: Option<Name>,
}

#[derive(Deserialize)]
struct Name {
    #[serde(default, rename = "firstName")]
    first_name: Option<String>,
    #[serde(default, rename = "lastName")]
    last_name: Option<String>,
}

/// The name of the `user` form field, if it came.
fn name(user: Option<&str>) -> Option<String> {
    let name = crate::engine::platform::json::parse::<User>(user?.as_bytes()).ok()?.name?;
    let full = [name.first_name, name.last_name].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let full = full.trim().to_owned();
    (!full.is_empty()).then_some(full)
}

pub async fn exchange<H: HttpClient, C: JwsSigner + Es256Verifier + Es256Signer>(
    x: &Exchange<'_, H, C>,
    key: &AppleKey,
    answer: &Callback<'_>,
) -> Result<Answer, ApiError> {
    let (config, http, crypto, provider, flow, now) = (x.config, x.http, x.crypto, x.provider, x.flow, x.now);
    let secret = client_secret(crypto, key, &provider.client_id, now).await?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("client_id", &provider.client_id)
        .append_pair("client_secret", &secret)
        .append_pair("code", answer.code)
        .append_pair("grant_type", "authorization_code")
        .append_pair("redirect_uri", &callback_uri(config, provider));
    let tokens = TokenAnswer::read(http.post_form(&format!("{}/auth/token", key.base), &form.finish(), None).await?)?;
    let Some(id_token) = tokens.id_token.as_deref() else {
        return Err(failed("Apple's token endpoint gave no ID token"));
    };
    let expected = Expected { issuer: &key.base, client_id: &provider.client_id, nonce: &flow.nonce, now };
    let mut claims = verified_id_token(http, crypto, &format!("{}/auth/keys", key.base), id_token, &expected).await?;
    claims.name = claims.name.or_else(|| name(answer.user));
    Ok(Answer { claims, tokens: tokens.tokens()? })
}
