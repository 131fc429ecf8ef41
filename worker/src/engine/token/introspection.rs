//! Token introspection (RFC 7662) and revocation (RFC 7009).

use shared::oauth::IntrospectionResponse;

use super::super::access_token::{self, RevocationStore, VerificationKeySource};
use super::super::clients::{authenticate, hash_secret, Client, ClientStore, ClientType, Credentials};
use super::super::form::Form;
use super::super::ports::{Random, RsaSigner};
use super::super::refresh::RefreshStore;
use super::super::users::UserStore;
use super::{SigningKeySource, TokenEndpoint, TokenError};

impl<S, C, K, R, V> TokenEndpoint<'_, S, C, K, R, V>
where
    S: ClientStore + RevocationStore + RefreshStore + UserStore,
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
            // Not an access token of ours: perhaps a refresh token; otherwise §2.2
            // "active: false" with nothing else.
            Err(_) => return self.introspect_refresh_token(token).await,
        };
        if self.store.access_token_revoked(&claims).await? {
            return Ok(inactive);
        }
        let username = self.username(&claims.sub, &claims.client_id).await?;
        Ok(IntrospectionResponse {
            active: true,
            scope: Some(claims.scope),
            client_id: Some(claims.client_id),
            username,
            token_type: Some("Bearer".into()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            sub: Some(claims.sub),
            aud: Some(claims.aud),
            iss: Some(claims.iss),
            jti: Some(claims.jti),
        })
    }

    /// The seed's `username`: the user's email, for tokens issued to a user.
    async fn username(&self, subject: &str, client_id: &str) -> Result<Option<String>, TokenError> {
        if subject == client_id {
            return Ok(None);
        }
        Ok(self.store.user_by_id(subject).await?.map(|u| u.email))
    }

    /// A refresh token is active while it is neither revoked, expired, nor rotated (a
    /// rotated token only answers within the reuse grace period, as the same successor).
    async fn introspect_refresh_token(&self, token: &str) -> Result<IntrospectionResponse, TokenError> {
        let Some(row) = self.store.refresh_token(&hash_secret(token)).await? else {
            return Ok(IntrospectionResponse::default());
        };
        if row.revoked_at.is_some() || row.expires_at <= self.now || row.rotated_at.is_some() {
            return Ok(IntrospectionResponse::default());
        }
        let subject = row.user_id.clone().unwrap_or_else(|| row.client_id.clone());
        let username = self.username(&subject, &row.client_id).await?;
        Ok(IntrospectionResponse {
            active: true,
            scope: Some(row.scope),
            client_id: Some(row.client_id),
            username,
            token_type: Some("refresh_token".into()),
            exp: Some(row.expires_at),
            iat: Some(row.created_at),
            sub: Some(subject),
            aud: None,
            iss: Some(self.config.issuer.clone()),
            jti: None,
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
            // §2.1: revoking a refresh token revokes its whole family (the grant).
            if let Some(row) = self.store.refresh_token(&hash_secret(token)).await? {
                if row.client_id != caller.client_id {
                    return Err(TokenError::UnauthorizedClient("the token was not issued to this client".into()));
                }
                self.store.revoke_refresh_family(&row.family_id, self.now).await?;
            }
            return Ok(());
        };
        if claims.client_id != caller.client_id {
            return Err(TokenError::UnauthorizedClient("the token was not issued to this client".into()));
        }
        self.store.revoke_access_token(&claims, self.now).await?;
        Ok(())
    }
}
