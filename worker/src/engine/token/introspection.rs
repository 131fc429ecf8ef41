//! Token introspection (RFC 7662) and revocation (RFC 7009).

use shared::oauth::IntrospectionResponse;

use super::super::access_token::{self, RevocationStore, VerificationKeySource};
use super::super::clients::{authenticate, Client, ClientStore, ClientType, Credentials};
use super::super::form::Form;
use super::super::ports::{Random, RsaSigner};
use super::{SigningKeySource, TokenEndpoint, TokenError};

impl<S, C, K, R, V> TokenEndpoint<'_, S, C, K, R, V>
where
    S: ClientStore + RevocationStore,
    C: RsaSigner,
    K: SigningKeySource<C::Key>,
    R: Random,
    V: VerificationKeySource<C::PublicKey>,
{
    async fn caller(&self, authorization: Option<&str>, form: &Form) -> Result<Client, TokenError> {
        let credentials = Credentials::from_request(authorization, form)?;
        authenticate(self.store, &credentials, self.now).await
    }

    fn token_param(form: &Form) -> Result<&str, TokenError> {
        form.get("token").ok_or_else(|| TokenError::InvalidRequest("the token parameter is missing".into()))
    }

    /// `POST /token/introspect` (RFC 7662 §2). The caller must be a confidential client
    /// (§2.1: the endpoint MUST require authorization). `token_type_hint` only orders the
    /// lookups (§2.1 "MAY ignore"): a wrong hint never makes a live token look inactive.
    pub async fn introspect(
        &self,
        authorization: Option<&str>,
        form: &Form,
    ) -> Result<IntrospectionResponse, TokenError> {
        let caller = self.caller(authorization, form).await?;
        if caller.client_type != ClientType::Confidential {
            return Err(TokenError::InvalidClient { basic: false });
        }
        let token = Self::token_param(form)?;
        let inactive = IntrospectionResponse::default();
        let claims = match access_token::verify(token, self.config, self.signer, self.verifier, self.now).await? {
            Ok(claims) => claims,
            // Not an access token of ours (refresh tokens are not issued yet): §2.2
            // "active: false" with nothing else.
            Err(_) => return Ok(inactive),
        };
        if self.store.access_token_revoked(&claims).await? {
            return Ok(inactive);
        }
        Ok(IntrospectionResponse {
            active: true,
            scope: Some(claims.scope),
            client_id: Some(claims.client_id),
            username: None,
            token_type: Some("Bearer".into()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            sub: Some(claims.sub),
            aud: Some(claims.aud),
            iss: Some(claims.iss),
            jti: Some(claims.jti),
        })
    }

    /// `POST /token/revoke` (RFC 7009 §2.1). Unknown, expired or foreign-signed tokens are
    /// answered 200 (§2.2: "invalid tokens do not cause an error response"); a token issued
    /// to another client is refused (§2.1 "the authorization server first validates ...
    /// whether the token was issued to the client making the revocation request").
    pub async fn revoke(&self, authorization: Option<&str>, form: &Form) -> Result<(), TokenError> {
        let caller = self.caller(authorization, form).await?;
        let token = Self::token_param(form)?;
        let Ok(claims) = access_token::verify(token, self.config, self.signer, self.verifier, self.now).await? else {
            return Ok(());
        };
        if claims.client_id != caller.client_id {
            return Err(TokenError::UnauthorizedClient("the token was not issued to this client".into()));
        }
        self.store.revoke_access_token(&claims, self.now).await?;
        Ok(())
    }
}
