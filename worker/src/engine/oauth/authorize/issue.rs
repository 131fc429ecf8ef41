//! Answering an authorization request that needs nothing more from the person: a code
//! (RFC 6749 §4.1.2), tokens (§4.2.2, OIDC Core §3.2.2.5), or both (OIDC Core §3.3.2.5).

use super::{AuthorizationRequest, AuthorizationResponse, AuthorizeError};
use crate::engine::clients::Client;
use crate::engine::crypto::jose::sign_jwt;
use crate::engine::identity::sessions::Session;
use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::AccessTokenClaims;
use crate::engine::oauth::codes::{self, AuthorizationCode, CodeStore};
use crate::engine::oauth::id_token::{self, IdTokenFacts};
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::oauth::token::SigningKeySource;
use crate::engine::platform::config::Config;
use crate::engine::platform::ports::{JwsSigner, Random, UnixTime};

pub struct Issuer<'a, S, C, K, R> {
    pub config: &'a Config,
    pub store: &'a S,
    pub signer: &'a C,
    pub keys: &'a K,
    pub rng: &'a R,
    pub now: UnixTime,
}

impl<S, C, K, R> Issuer<'_, S, C, K, R>
where
    S: CodeStore + ScopeStore,
    C: JwsSigner,
    K: SigningKeySource<C::Key>,
    R: Random,
{
    pub async fn issue(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        user: &User,
        session: &Session,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        // A non-admin asking for `admin` simply does not get it.
        let granted = user.grantable(&request.scope);
        let scope = granted.join(" ");
        let mut params: Vec<(String, String)> = Vec::new();
        let code = if request.response_type.code {
            let row = AuthorizationCode {
                code_hash: String::new(),
                client_id: client.client_id.clone(),
                user_id: user.id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                scope: scope.clone(),
                nonce: request.nonce.clone(),
                code_challenge: request.code_challenge.clone(),
                code_challenge_method: request.code_challenge_method,
                session_id: Some(session.id_hash.clone()),
                auth_time: session.auth_time,
                amr: Some(session.amr.join(" ")),
                created_at: self.now,
                expires_at: self.now + i64::from(self.config.tokens.code_ttl),
                consumed_at: None,
                issued_jti: None,
                issued_jti_expires_at: None,
                issued_family_id: None,
            };
            let (plaintext, row) = codes::mint(row, self.rng)?;
            self.store.insert_code(&row).await?;
            params.push(("code".into(), plaintext.clone()));
            Some(plaintext)
        } else {
            None
        };
        let ttl = client.access_token_ttl.unwrap_or(self.config.tokens.access_token_ttl);
        let access_key = match request.response_type.token {
            true => Some(self.keys.signing_key(self.config.tokens.signing_alg).await?),
            false => None,
        };
        // OIDC Registration §2: the client's algorithm, RS256 unless it registered another.
        let id_key = match (request.response_type.id_token, &access_key) {
            (false, _) => None,
            (true, Some(key)) if key.alg == client.id_token_alg => Some(key.clone()),
            (true, _) => Some(self.keys.signing_key(client.id_token_alg).await?),
        };
        let mut access_token = None;
        if let Some(key) = &access_key {
            let mut claims =
                AccessTokenClaims::new(self.config, &user.id, &client.client_id, &scope, ttl, self.now, self.rng)?;
            claims.auth_time = Some(session.auth_time);
            let token = claims.sign(self.signer, key).await?;
            params.push(("access_token".into(), token.clone()));
            params.push(("token_type".into(), "Bearer".into()));
            params.push(("expires_in".into(), ttl.to_string()));
            params.push(("scope".into(), scope.clone()));
            access_token = Some(token);
        }
        if let Some(key) = &id_key {
            let scopes: Vec<&str> = granted.iter().map(String::as_str).collect();
            let released = self.store.released_claims(&scopes).await?;
            let facts = IdTokenFacts {
                user,
                client_id: &client.client_id,
                claims: &released,
                auth_time: session.auth_time,
                amr: Some(&session.amr.join(" ")),
                nonce: request.nonce.as_deref(),
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                ttl,
                alg: key.alg,
            };
            let claims = id_token::claims(self.config, &facts, self.now);
            params.push(("id_token".into(), sign_jwt(self.signer, key, "JWT", &claims).await?));
        }
        Ok(AuthorizationResponse::new(self.config, &request.target(), params))
    }
}
