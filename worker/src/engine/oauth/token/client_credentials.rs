//! The client credentials grant (RFC 6749 §4.4): a confidential client acting on its own
//! behalf.

use shared::oauth::{grant, Aud, TokenResponse};

use super::{scope_within_client, SigningKeySource, TokenEndpoint, TokenError};
use crate::engine::clients::{Client, ClientType};
use crate::engine::oauth::access_token::AccessTokenClaims;
use crate::engine::oauth::resources::TargetResource;
use crate::engine::oauth::scope::USER_SCOPES;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// RFC 6749 §4.4: a confidential client acting on its own behalf. No refresh token
    /// (§4.4.3 "SHOULD NOT"), no ID token (there is no user).
    pub(super) async fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&str>,
        resources: &[TargetResource],
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
        // RFC 8707: for resources, `aud` is them, the scope what they accept, the lifetime
        // and algorithm theirs.
        let audience = self.audience(resources, &scope)?;
        let ttl = audience.as_ref().and_then(|a| a.ttl).unwrap_or_else(|| self.access_ttl(client));
        let scope = audience.as_ref().map_or_else(|| scope.join(" "), |a| a.scope.join(" "));
        let mut claims = AccessTokenClaims::new(
            self.config,
            &client.client_id,
            &client.client_id,
            &scope,
            ttl,
            self.now_ms,
            self.rng,
        )?;
        claims.bind(self.dpop_jkt);
        let mut alg = self.config.tokens.signing_alg;
        if let Some(audience) = audience {
            claims.aud = Aud::from_list(audience.aud);
            alg = audience.alg.unwrap_or(alg);
        }
        // A JWT access token per RFC 9068 §2 (`typ: at+jwt`), signed with the active key.
        let key = self.keys.signing_key(alg).await?;
        let access_token = claims.sign(self.signer, &key).await?;
        Ok(TokenResponse {
            access_token,
            token_type: self.token_type().into(),
            expires_in: ttl,
            refresh_token: None,
            scope,
            id_token: None,
            issued_token_type: None,
        })
    }
}
