//! Token introspection (RFC 7662) and revocation (RFC 7009).

use shared::oauth::IntrospectionResponse;

use super::{TokenEndpoint, TokenError, TokenLookups};
use crate::engine::clients::ClientStore;
use crate::engine::clients::{Client, ClientRecord, ClientType, Credentials};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::users::ADMIN_SCOPE;
use crate::engine::oauth::access_token::RevocationStore;
use crate::engine::oauth::access_token::{self};
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::platform::form::Form;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// RFC 7662 §2.1: the endpoint MUST require authorization; only confidential clients
    /// can give it.
    async fn introspecting_client(
        &self,
        found: Option<ClientRecord>,
        credentials: &Credentials,
    ) -> Result<Client, TokenError> {
        let caller = self.check_client(found, credentials).await?;
        if caller.client_type != ClientType::Confidential {
            return Err(TokenError::InvalidClient { basic: false });
        }
        Ok(caller)
    }

    /// `POST /token/introspect` (RFC 7662 §2). `token_type_hint` is not needed (§2.1 "MAY
    /// ignore"): what a token is follows from its form, so a wrong hint never makes a live
    /// token look inactive. The caller is authenticated in the same round trip as the
    /// token's lookup.
    pub async fn introspect(
        &self,
        credentials: &Credentials,
        form: &Form,
    ) -> Result<IntrospectionResponse, TokenError> {
        let Some(token) = form.get("token") else {
            let found = self.store.client_with_secrets(credentials.client_id()).await?;
            self.introspecting_client(found, credentials).await?;
            return Err(TokenError::InvalidRequest("the token parameter is missing".into()));
        };
        // The signature is checked before storage is asked anything (keys are cached).
        let claims = match access_token::verify(token, self.config, self.signer, self.verifier, self.now).await? {
            Ok(claims) => claims,
            // Not an access token of ours: perhaps a refresh token.
            Err(_) => return self.introspect_refresh_token(credentials, token).await,
        };
        let (found, state) = self.store.client_and_access_token_state(credentials.client_id(), &claims).await?;
        let caller = self.introspecting_client(found, credentials).await?;
        if state.revoked || !may_introspect(&caller, &claims.client_id) {
            return Ok(IntrospectionResponse::default());
        }
        // `username` is the user's email, for tokens issued to a user (docs/api.md, "Endpoints").
        let username = if claims.sub == claims.client_id { None } else { state.subject_email };
        Ok(IntrospectionResponse {
            active: true,
            scope: Some(claims.scope),
            client_id: Some(claims.client_id),
            username,
            token_type: Some(if claims.cnf.is_some() { "DPoP" } else { "Bearer" }.into()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            sub: Some(claims.sub),
            aud: Some(claims.aud),
            iss: Some(claims.iss),
            jti: Some(claims.jti),
            cnf: claims.cnf,
        })
    }

    /// A refresh token is active while it is neither revoked, expired, nor rotated (a
    /// rotated token only answers within the reuse grace period, as the same successor).
    /// Anything else is §2.2's `{"active": false}` and nothing more.
    async fn introspect_refresh_token(
        &self,
        credentials: &Credentials,
        token: &str,
    ) -> Result<IntrospectionResponse, TokenError> {
        let (found, row) = self.store.client_and_refresh_token(credentials.client_id(), &hash_token(token)).await?;
        let caller = self.introspecting_client(found, credentials).await?;
        let Some((row, user)) = row else { return Ok(IntrospectionResponse::default()) };
        let spent = row.revoked_at.is_some() || row.expires_at <= self.now || row.rotated_at.is_some();
        if spent || !may_introspect(&caller, &row.client_id) {
            return Ok(IntrospectionResponse::default());
        }
        let subject = row.user_id.clone().unwrap_or_else(|| row.client_id.clone());
        Ok(IntrospectionResponse {
            active: true,
            scope: Some(row.scope),
            client_id: Some(row.client_id),
            username: user.map(|u| u.email),
            token_type: Some("refresh_token".into()),
            exp: Some(row.expires_at),
            iat: Some(row.created_at),
            sub: Some(subject),
            aud: None,
            iss: Some(self.config.issuer.clone()),
            jti: None,
            cnf: row.dpop_jkt.map(|jkt| serde_json::json!({ "jkt": jkt })),
        })
    }

    /// `POST /token/revoke` (RFC 7009 §2.1). Unknown, expired or foreign-signed tokens are
    /// answered 200 (§2.2: "invalid tokens do not cause an error response"); a token issued
    /// to another client is refused (§2.1 "the authorization server first validates ...
    /// whether the token was issued to the client making the revocation request").
    pub async fn revoke(&self, credentials: &Credentials, form: &Form) -> Result<(), TokenError> {
        let caller = self.authenticate(credentials).await?;
        let token =
            form.get("token").ok_or_else(|| TokenError::InvalidRequest("the token parameter is missing".into()))?;
        let Ok(claims) = access_token::verify(token, self.config, self.signer, self.verifier, self.now).await? else {
            // §2.1: revoking a refresh token revokes its whole family (the grant).
            if let Some(row) = self.store.refresh_token(&hash_token(token)).await? {
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

/// RFC 7662 §2.2/§4: a client learns about the tokens issued to it; about other clients'
/// tokens only if it is registered as a resource server (`introspection` scope) or is an
/// operator's service account (`admin`). Anyone else gets `{"active": false}`, so the
/// endpoint cannot be used to scan for live tokens.
fn may_introspect(caller: &Client, token_client_id: &str) -> bool {
    caller.client_id == token_client_id || caller.scopes.iter().any(|s| s == INTROSPECTION_SCOPE || s == ADMIN_SCOPE)
}

/// The scope that makes a client a resource server that may introspect any token.
pub const INTROSPECTION_SCOPE: &str = "introspection";
