//! The token endpoint (RFC 6749 §3.2, §4.4, §5): grants that need no browser.
//!
//! The edge hands over the parsed form and the `Authorization` header; this module decides
//! and returns a [`TokenResponse`] or a [`TokenError`], which the edge renders.

mod code_grant;
mod device_grant;
mod error;
mod grants;
mod introspection;

pub use error::TokenError;
use shared::oauth::TokenResponse;

use crate::engine::clients::{authenticate, Client, ClientRecord, ClientStore, ClientType, Credentials};
use crate::engine::crypto::keys::ActiveSigningKey;
use crate::engine::identity::users::{User, UserStore};
use crate::engine::oauth::access_token::{AccessTokenClaims, AccessTokenState, RevocationStore};
use crate::engine::oauth::codes::{AuthorizationCode, CodeStore};
use crate::engine::oauth::refresh::{RefreshStore, RefreshToken};
use crate::engine::oauth::scope::{parse_scope, USER_SCOPES};
use crate::engine::ops::audit::{AuditStore, RequestMeta};
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{Random, RsaSigner, UnixTime};

/// Grant types `/token` accepts with this configuration, as advertised in discovery.
pub fn grant_types_supported(config: &Config) -> Vec<&'static str> {
    let mut grants = vec!["authorization_code", "client_credentials", crate::engine::oauth::device::DEVICE_GRANT];
    if config.tokens.refresh_token_ttl > 0 {
        grants.push("refresh_token");
    }
    if config.security.enable_password_grant {
        grants.push("password");
    }
    grants
}

/// Client authentication methods `/token` and `/token/revoke` accept: `none` is a public
/// client sending only its `client_id` (RFC 6749 §2.3; RFC 7009 §2.1 lets it revoke its
/// own tokens).
pub const AUTH_METHODS_SUPPORTED: &[&str] = &["client_secret_basic", "client_secret_post", "none"];
/// Introspection answers only confidential clients (RFC 7662 §2.1).
pub const INTROSPECTION_AUTH_METHODS_SUPPORTED: &[&str] = &["client_secret_basic", "client_secret_post"];

/// The reads a token request makes alongside its client lookup, each pair as one batch:
/// a D1 round trip, not the SQL, is most of a request's cost (docs/benchmark.md).
/// Implemented over the SQL port in `oauth::store`.
#[allow(async_fn_in_trait)]
pub trait TokenLookups: ClientStore + RevocationStore + RefreshStore + CodeStore {
    /// The client, and what storage says of an access token (introspection).
    async fn client_and_access_token_state(
        &self,
        client_id: &str,
        claims: &AccessTokenClaims,
    ) -> Result<(Option<ClientRecord>, AccessTokenState), InternalError>;

    /// The client, and a refresh token with its user (refresh grant, introspection).
    async fn client_and_refresh_token(
        &self,
        client_id: &str,
        token_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(RefreshToken, Option<User>)>), InternalError>;

    /// The client, and an authorization code with its user (code grant).
    async fn client_and_code(
        &self,
        client_id: &str,
        code_hash: &str,
    ) -> Result<(Option<ClientRecord>, Option<(AuthorizationCode, Option<User>)>), InternalError>;
}

/// Where the signing key comes from: the edge's per-isolate cache, or a test's key.
/// Asked only once a token is actually issued, so failed requests never load a key.
pub trait SigningKeySource<K> {
    #[allow(async_fn_in_trait)]
    async fn signing_key(&self) -> Result<ActiveSigningKey<K>, InternalError>;
}

/// Everything one token request needs from the platform.
pub struct TokenEndpoint<'a, S, C: RsaSigner, K, R, V> {
    pub config: &'a Config,
    pub store: &'a S,
    pub signer: &'a C,
    /// Signs what this request issues.
    pub keys: &'a K,
    pub rng: &'a R,
    /// Verifies the tokens this request presents.
    pub verifier: &'a V,
    /// Where the request came from, for audit entries.
    pub meta: &'a RequestMeta,
    pub now: UnixTime,
}

impl<S, C, K, R, V> TokenEndpoint<'_, S, C, K, R, V>
where
    S: TokenLookups + UserStore + AuditStore + crate::engine::oauth::device::DeviceStore,
    C: RsaSigner,
    K: SigningKeySource<C::Key>,
    R: Random,
{
    /// `POST /token` with a form body already parsed (duplicates refused, RFC 6749 §3.2).
    pub async fn handle(&self, authorization: Option<&str>, form: &Form) -> Result<TokenResponse, TokenError> {
        // The grant type is checked before the client: which grants exist is public
        // (discovery), and a request for an unknown one cannot succeed whoever sends it.
        let grant_type = form
            .get("grant_type")
            .ok_or_else(|| TokenError::InvalidRequest("the grant_type parameter is missing".into()))?;
        if !grant_types_supported(self.config).contains(&grant_type) {
            return Err(TokenError::UnsupportedGrantType(format!("grant_type `{grant_type}` is not supported")));
        }
        let credentials = Credentials::from_request(authorization, form)?;
        // These two authenticate the client in the same round trip as their token read.
        if grant_type == "refresh_token" {
            return self.refresh(&credentials, form).await;
        }
        if grant_type == "authorization_code" {
            return self.authorization_code(&credentials, form).await;
        }
        if grant_type == crate::engine::oauth::device::DEVICE_GRANT {
            return self.device_code(&credentials, form).await;
        }
        let client = authenticate(self.store, &credentials, self.now).await?;
        match grant_type {
            "client_credentials" => self.client_credentials(&client, form).await,
            "password" => self.password(&client, form).await,
            other => Err(TokenError::UnsupportedGrantType(format!("grant_type `{other}` is not supported"))),
        }
    }

    /// RFC 6749 §4.4: a confidential client acting on its own behalf. No refresh token
    /// (§4.4.3 "SHOULD NOT"), no ID token (there is no user).
    async fn client_credentials(&self, client: &Client, form: &Form) -> Result<TokenResponse, TokenError> {
        if client.client_type != ClientType::Confidential || !client.allows_grant("client_credentials") {
            return Err(TokenError::UnauthorizedClient("this client may not use the client_credentials grant".into()));
        }
        let scope = match form.get("scope") {
            Some(requested) => {
                let requested = scope_within_client(client, requested)?;
                if let Some(user_scope) = requested.iter().find(|s| USER_SCOPES.contains(&s.as_str())) {
                    return Err(TokenError::InvalidScope(format!(
                        "scope `{user_scope}` needs a user and cannot be granted with client_credentials"
                    )));
                }
                requested
            }
            // §3.3: without a scope the server uses a predefined default: for this grant, the
            // client's registered scopes that need no user (the seed: "uses client's default scopes").
            None => client.scopes.iter().filter(|s| !USER_SCOPES.contains(&s.as_str())).cloned().collect(),
        };
        let scope = scope.join(" ");
        let ttl = self.access_ttl(client);
        let access_token = self.access_token(client, &client.client_id, &scope, ttl).await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ttl,
            refresh_token: None,
            scope,
            id_token: None,
        })
    }

    /// A JWT access token per RFC 9068 §2 (`typ: at+jwt`), signed with the active key.
    async fn access_token(&self, client: &Client, subject: &str, scope: &str, ttl: u32) -> Result<String, TokenError> {
        let claims = AccessTokenClaims::new(self.config, subject, &client.client_id, scope, ttl, self.now, self.rng)?;
        let key = self.keys.signing_key().await?;
        Ok(claims.sign(self.signer, &key).await?)
    }
}

/// The requested scope, parsed, refused with `invalid_scope` if it names anything the
/// client is not registered for (RFC 6749 §3.3).
fn scope_within_client(client: &Client, requested: &str) -> Result<Vec<String>, TokenError> {
    let requested = parse_scope(requested)?;
    if let Some(unknown) = requested.iter().find(|s| !client.scopes.contains(s)) {
        return Err(TokenError::InvalidScope(format!("scope `{unknown}` is not allowed for this client")));
    }
    Ok(requested)
}

#[cfg(test)]
mod device_tests;
#[cfg(test)]
mod tests;
