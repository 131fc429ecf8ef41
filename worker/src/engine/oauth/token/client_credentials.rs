//! The client credentials grant (RFC 6749 §4.4): a confidential client acting on its own
//! behalf.

use shared::oauth::{grant, TokenResponse};

use super::{scope_within_client, SigningKeySource, TokenEndpoint, TokenError};
use crate::engine::clients::{Client, ClientType};
use crate::engine::oauth::access_token::AccessTokenClaims;
use crate::engine::oauth::scope::USER_SCOPES;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// RFC 6749 §4.4: a confidential client acting on its own behalf. No refresh token
    /// (§4.4.3 "SHOULD NOT"), no ID token (there is no user).
    pub(super) async fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&str>,
    ) -> Result<TokenResponse, TokenError> {
        if client.client_type != ClientType::Confidential || !client.allows_grant(grant::CLIENT_CREDENTIALS) {
            return Err(TokenError::UnauthorizedClient("this client may not use the client_credentials grant".into()));
        }
        let scope = match scope {
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
            // client's registered scopes that need no user (a client asking for no scope gets its default scopes).
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
        let claims =
            AccessTokenClaims::new(self.config, subject, &client.client_id, scope, ttl, self.now_ms, self.rng)?;
        let key = self.keys.signing_key(self.config.tokens.signing_alg).await?;
        Ok(claims.sign(self.signer, &key).await?)
    }
}
