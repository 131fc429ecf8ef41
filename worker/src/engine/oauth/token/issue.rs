//! Turning what a grant decided into tokens: the JWT access token (RFC 9068), the ID token
//! (OIDC Core §3.1.3.3, §12.2) and a new refresh-token family, with the lifetimes the
//! client or the configuration sets.

use shared::oauth::{grant, Aud, TokenResponse};

use super::{scope_within_client, SigningKeySource, TokenEndpoint, TokenError};
use crate::engine::clients::Client;
use crate::engine::crypto::jose::sign_jwt;
use crate::engine::identity::users::User;
use crate::engine::oauth::access_token::AccessTokenClaims;
use crate::engine::oauth::id_token::{self, IdTokenFacts};
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::oauth::refresh::{mint, NewToken};
use crate::engine::oauth::resources::{self, TargetResource};
use crate::engine::oauth::scope::ScopeStore;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::ports::{SqlRunner, Statement, UnixTime};
use crate::engine::platform::request::Platform;
use crate::engine::tables::refresh_tokens;

/// What a grant decided to issue; [`TokenEndpoint::issue`] turns it into tokens.
pub(super) struct Grant<'a> {
    pub(super) client: &'a Client,
    pub(super) user: &'a User,
    /// The scope of the access token (and the ID token's claims).
    pub(super) scope: Vec<String>,
    pub(super) auth_time: UnixTime,
    /// How the person signed in (RFC 8176, space-separated), for the ID token's `amr`/`acr`.
    pub(super) amr: Option<&'a str>,
    /// A refresh token to hand out, already stored.
    pub(super) refresh_token: Option<String>,
    /// The authorization request's nonce, for the ID token (OIDC Core §3.1.3.6).
    pub(super) nonce: Option<&'a str>,
    /// The access token's claims when the grant had to know its `jti` in advance.
    pub(super) claims: Option<AccessTokenClaims>,
    /// The browser session the grant came from (the tokens' `sid`), if any.
    pub(super) session_id: Option<&'a str>,
    /// The RFC 8707 resources this access token is for (empty: none, `aud` is the client).
    pub(super) resources: &'a [TargetResource],
}

impl<P: Platform> TokenEndpoint<'_, P> {
    pub(super) fn refresh_ttl(&self, client: &Client) -> u32 {
        client.refresh_token_ttl.unwrap_or(self.config.tokens.refresh_token_ttl)
    }

    pub(super) fn access_ttl(&self, client: &Client) -> u32 {
        client.access_token_ttl.unwrap_or(self.config.tokens.access_token_ttl)
    }

    pub(super) async fn audit(&self, event: AuditEvent) -> Result<(), TokenError> {
        Ok(self.store.record(&event).await?)
    }

    /// A new refresh-token family for `grant` (which has no other write to batch it with:
    /// password, device), stored now, keeping the grant's RFC 8707 `resources` (all of
    /// them, not only those this access token is for); `None` when the grant issues none.
    pub(super) async fn stored_refresh_token(
        &self,
        grant: &Grant<'_>,
        resources: &[String],
    ) -> Result<Option<String>, TokenError> {
        self.stored_refresh_token_with(grant, resources, Vec::new()).await
    }

    /// [`Self::stored_refresh_token`], written in one batch with `with` (a sign-in's
    /// record): both or neither, one round trip. `with` is written even when the grant
    /// gets no refresh token.
    pub(super) async fn stored_refresh_token_with(
        &self,
        grant: &Grant<'_>,
        resources: &[String],
        mut with: Vec<Statement<'static>>,
    ) -> Result<Option<String>, TokenError> {
        let client = grant.client;
        if !self.issues_refresh_tokens(client, &grant.scope) {
            if !with.is_empty() {
                self.store.batch(&with).await?;
            }
            return Ok(None);
        }
        let minted = mint(
            NewToken {
                family_id: None,
                parent_hash: None,
                client_id: &client.client_id,
                user_id: Some(&grant.user.id),
                scope: &grant.scope.join(" "),
                auth_time: Some(grant.auth_time),
                amr: grant.amr,
                session_id: grant.session_id,
                ttl: self.refresh_ttl(client),
                family_expires_at: None,
                max_lifetime: self.config.tokens.refresh_token_max_lifetime,
                resources,
                dpop_jkt: self.refresh_binding(client),
            },
            self.now,
            self.rng,
        )?;
        if with.is_empty() {
            self.store.insert_refresh_token(&minted.row).await?;
        } else {
            with.push(refresh_tokens::insert(&minted.row));
            self.store.batch(&with).await?;
        }
        Ok(Some(minted.plaintext))
    }

    /// `DPoP` for a DPoP-bound token (RFC 9449 §5), else `Bearer`.
    pub(super) fn token_type(&self) -> &'static str {
        if self.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }

    /// RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key (a
    /// confidential client's are bound by its authentication already); a FAPI 2.0
    /// client's too, since they do not rotate (FAPI 2.0 §5.3.2.1).
    pub(super) fn refresh_binding(&self, client: &Client) -> Option<&str> {
        let bound = client.client_type == crate::engine::clients::ClientType::Public || client.fapi2;
        bound.then_some(self.dpop_jkt).flatten()
    }

    /// OIDC Core §11: a refresh token only with `offline_access`, to a client allowed the
    /// refresh grant, while refresh tokens are enabled (`REFRESH_TOKEN_TTL` > 0).
    pub(super) fn issues_refresh_tokens(&self, client: &Client, scope: &[String]) -> bool {
        scope.iter().any(|s| s == "offline_access")
            && client.allows_grant(grant::REFRESH_TOKEN)
            && self.refresh_ttl(client) > 0
    }

    /// The requested scope within the client's (RFC 6749 §3.3), or `DEFAULT_SCOPES`
    /// within the client's when none is requested.
    pub(super) fn requested_scope(&self, client: &Client, scope: Option<&str>) -> Result<Vec<String>, TokenError> {
        match scope {
            Some(requested) => scope_within_client(client, requested),
            None => {
                let defaults = client.default_scope(&self.config.default_scopes);
                let scope = client.with_required(defaults.clone());
                client
                    .scope_refusal(&defaults, &scope)
                    .map_or(Ok(scope), |refusal| Err(TokenError::InvalidScope(refusal)))
            }
        }
    }

    /// The claims of an access token for `subject` (RFC 9068 §2.2) with the grant's
    /// `scope`; for RFC 8707 `resources`, `aud` is them, the scope what they accept, the
    /// lifetime theirs (docs/api.md, "Resources").
    pub(super) fn access_claims(
        &self,
        client: &Client,
        subject: &str,
        scope: &[String],
        auth_time: UnixTime,
        resources: &[TargetResource],
    ) -> Result<AccessTokenClaims, TokenError> {
        let audience = self.audience(resources, scope)?;
        let ttl = audience.as_ref().and_then(|a| a.ttl).unwrap_or_else(|| self.access_ttl(client));
        let scope = audience.as_ref().map_or_else(|| scope.join(" "), |a| a.scope.join(" "));
        let mut claims =
            AccessTokenClaims::new(self.config, subject, &client.client_id, &scope, ttl, self.now_ms, self.rng)?;
        if let Some(audience) = audience {
            claims.aud = Aud::from_list(audience.aud);
        }
        claims.auth_time = Some(auth_time);
        Ok(claims)
    }

    /// RFC 8707: the access token's audience for `resources` (`None` when there are none).
    pub(super) fn audience(
        &self,
        resources: &[TargetResource],
        scope: &[String],
    ) -> Result<Option<resources::Audience>, TokenError> {
        if resources.is_empty() {
            return Ok(None);
        }
        resources::audience(resources, scope).map(Some).map_err(TokenError::InvalidTarget)
    }

    pub(super) async fn issue(&self, grant: Grant<'_>) -> Result<TokenResponse, TokenError> {
        let mut claims = match grant.claims {
            Some(claims) => claims,
            None => self.access_claims(grant.client, &grant.user.id, &grant.scope, grant.auth_time, grant.resources)?,
        };
        claims.sid = grant.session_id.map(str::to_owned);
        claims.bind(self.dpop_jkt);
        // RFC 6749 §5.1: `scope` and `expires_in` are the access token's.
        let (scope, ttl) = (claims.scope.clone(), u32::try_from(claims.exp - claims.iat).unwrap_or(0));
        let alg = self.audience(grant.resources, &grant.scope)?.and_then(|a| a.alg);
        let key = self.keys.signing_key(alg.unwrap_or(self.config.tokens.signing_alg)).await?;
        let access_token = claims.sign(self.signer, &key).await?;
        let id_token = if grant.scope.iter().any(|s| s == "openid") {
            // OIDC Registration §2: the client's algorithm, RS256 unless it registered another.
            let alg = grant.client.id_token_alg;
            let id_key = if alg == key.alg { key.clone() } else { self.keys.signing_key(alg).await? };
            let scopes: Vec<&str> = grant.scope.iter().map(String::as_str).collect();
            let released = self.store.released_claims(&scopes).await?;
            let facts = IdTokenFacts {
                user: grant.user,
                client_id: &grant.client.client_id,
                claims: &released,
                auth_time: grant.auth_time,
                amr: grant.amr,
                nonce: grant.nonce,
                access_token: Some(&access_token),
                code: None,
                sid: grant.session_id,
                // The ID token is the client's, whatever the access token's resource.
                ttl: self.access_ttl(grant.client),
                alg,
            };
            Some(sign_jwt(self.signer, &id_key, "JWT", &id_token::claims(self.config, &facts, self.now)).await?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: self.token_type().into(),
            expires_in: ttl,
            refresh_token: grant.refresh_token,
            scope,
            id_token,
            issued_token_type: None,
        })
    }
}
