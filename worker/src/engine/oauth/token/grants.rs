//! The grants that involve a user: resource-owner password (RFC 6749 §4.3) and refresh
//! (§6), with ID tokens (OIDC Core §3.1.3.3, §12.2) and refresh-token rotation.

use serde_json::json;
use shared::oauth::TokenResponse;

use super::{scope_within_client, SigningKeySource, TokenEndpoint, TokenError, TokenLookups};
use crate::engine::clients::{authenticate, check_credentials, Client, Credentials};
use crate::engine::crypto::jose::sign_jwt;
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::hash_token;
use crate::engine::identity::login::{verify_login, LoginContext, LoginError};
use crate::engine::identity::users::{User, UserStore};
use crate::engine::oauth::access_token::AccessTokenClaims;
use crate::engine::oauth::id_token::{self, IdTokenFacts};
use crate::engine::oauth::refresh::{mint, NewToken, RefreshToken};
use crate::engine::oauth::scope::parse_scope;
use crate::engine::ops::audit::{AuditEvent, AuditStore};
use crate::engine::platform::form::Form;
use crate::engine::platform::ports::{Random, RsaSigner, UnixTime};

/// What a grant decided to issue; [`TokenEndpoint::issue`] turns it into tokens.
pub(super) struct Grant<'a> {
    pub(super) client: &'a Client,
    pub(super) user: &'a User,
    /// The scope of the access token (and the ID token's claims).
    pub(super) scope: Vec<String>,
    pub(super) auth_time: UnixTime,
    /// A refresh token to hand out, already stored.
    pub(super) refresh_token: Option<String>,
    /// The authorization request's nonce, for the ID token (OIDC Core §3.1.3.6).
    pub(super) nonce: Option<&'a str>,
    /// The access token's claims when the grant had to know its `jti` in advance.
    pub(super) claims: Option<AccessTokenClaims>,
}

impl<S, C, K, R, V> TokenEndpoint<'_, S, C, K, R, V>
where
    S: TokenLookups + UserStore + AuditStore,
    C: RsaSigner,
    K: SigningKeySource<C::Key>,
    R: Random,
{
    pub(super) fn refresh_ttl(&self, client: &Client) -> u32 {
        client.refresh_token_ttl.unwrap_or(self.config.tokens.refresh_token_ttl)
    }

    pub(super) fn access_ttl(&self, client: &Client) -> u32 {
        client.access_token_ttl.unwrap_or(self.config.tokens.access_token_ttl)
    }

    pub(super) async fn audit(&self, event: AuditEvent) -> Result<(), TokenError> {
        Ok(self.store.record(&event).await?)
    }

    /// RFC 6749 §4.3, allowed only when `ENABLE_PASSWORD_GRANT=true`, for clients listed in
    /// `PASSWORD_GRANT_ALLOWED_CLIENTS` and registered for the grant (contract, `/token`).
    pub(super) async fn password(&self, client: &Client, form: &Form) -> Result<TokenResponse, TokenError> {
        let security = &self.config.security;
        if !security.enable_password_grant
            || !security.password_grant_allowed_clients.iter().any(|c| c == &client.client_id)
            || !client.allows_grant("password")
        {
            return Err(TokenError::UnauthorizedClient("this client may not use the password grant".into()));
        }
        let (Some(username), Some(password)) = (form.get("username"), form.get("password")) else {
            return Err(TokenError::InvalidRequest("username and password are required".into()));
        };
        let scope = self.requested_scope(client, form)?;
        let user = self.check_password(client, username, password).await?;
        let scope = user.grantable(&scope);
        let refresh_token = self.stored_refresh_token(client, &user.id, &scope, self.now, None).await?;
        self.issue(Grant { client, user: &user, scope, auth_time: self.now, refresh_token, nonce: None, claims: None })
            .await
    }

    /// A new refresh-token family for a grant that has no other write to batch it with
    /// (password, device), stored now; `None` when the grant issues none.
    pub(super) async fn stored_refresh_token(
        &self,
        client: &Client,
        user_id: &str,
        scope: &[String],
        auth_time: UnixTime,
        session_id: Option<&str>,
    ) -> Result<Option<String>, TokenError> {
        if !self.issues_refresh_tokens(client, scope) {
            return Ok(None);
        }
        let minted = mint(
            NewToken {
                family_id: None,
                parent_hash: None,
                client_id: &client.client_id,
                user_id: Some(user_id),
                scope: &scope.join(" "),
                auth_time: Some(auth_time),
                session_id,
                ttl: self.refresh_ttl(client),
            },
            self.now,
            self.rng,
        )?;
        self.store.insert_refresh_token(&minted.row).await?;
        Ok(Some(minted.plaintext))
    }

    /// OIDC Core §11: a refresh token only with `offline_access`, to a client allowed the
    /// refresh grant, while refresh tokens are enabled (`REFRESH_TOKEN_TTL` > 0).
    pub(super) fn issues_refresh_tokens(&self, client: &Client, scope: &[String]) -> bool {
        scope.iter().any(|s| s == "offline_access")
            && client.allows_grant("refresh_token")
            && self.refresh_ttl(client) > 0
    }

    /// The requested scope within the client's (RFC 6749 §3.3), or `DEFAULT_SCOPES`
    /// within the client's when none is requested.
    pub(super) fn requested_scope(&self, client: &Client, form: &Form) -> Result<Vec<String>, TokenError> {
        match form.get("scope") {
            Some(requested) => scope_within_client(client, requested),
            None => Ok(self.config.default_scopes.iter().filter(|s| client.scopes.contains(s)).cloned().collect()),
        }
    }

    /// The user whose password this is (engine::login), or `invalid_grant`.
    async fn check_password(&self, client: &Client, username: &str, password: &str) -> Result<User, TokenError> {
        let cx = LoginContext {
            config: self.config,
            meta: self.meta,
            now: self.now,
            method: "password_grant",
            client_id: Some(&client.client_id),
        };
        verify_login(self.store, self.rng, &cx, username, password).await.map_err(|e| match e {
            LoginError::Invalid => TokenError::InvalidGrant("the username or password is incorrect".into()),
            LoginError::Locked { .. } => TokenError::InvalidGrant(
                "the account is temporarily locked after too many failed sign-ins; try again later".into(),
            ),
            LoginError::EmailNotVerified => TokenError::InvalidGrant("the email address is not verified yet".into()),
            LoginError::Internal(e) => TokenError::Internal(e),
        })
    }

    /// RFC 6749 §6. The scope may be narrowed, never widened. With rotation, the presented
    /// token is exchanged for a successor in one atomic step; a retry within
    /// `REFRESH_REUSE_GRACE_SECONDS` gets the same successor; reuse after that revokes the
    /// whole family (RFC 9700 §4.14.2) and is audited as possible theft.
    pub(super) async fn refresh(&self, credentials: &Credentials, form: &Form) -> Result<TokenResponse, TokenError> {
        let invalid = || TokenError::InvalidGrant("the refresh token is invalid, expired or revoked".into());
        let Some(presented) = form.get("refresh_token") else {
            // A bad client hears invalid_client first, as for every other grant.
            authenticate(self.store, credentials, self.now).await?;
            return Err(TokenError::InvalidRequest("the refresh_token parameter is missing".into()));
        };
        let presented_hash = hash_token(presented);
        let (found, token) = self.store.client_and_refresh_token(credentials.client_id(), &presented_hash).await?;
        let client = &check_credentials(found, credentials, self.now)?;
        if !client.allows_grant("refresh_token") {
            return Err(TokenError::UnauthorizedClient("this client may not use the refresh_token grant".into()));
        }
        let Some((row, user)) = token else { return Err(invalid()) };
        // §6: the token must have been issued to the authenticated client.
        if row.client_id != client.client_id || row.revoked_at.is_some() || row.expires_at <= self.now {
            return Err(invalid());
        }
        let original: Vec<&str> = row.scope.split(' ').filter(|s| !s.is_empty()).collect();
        let scope = match form.get("scope") {
            Some(requested) => {
                let requested = parse_scope(requested)?;
                if let Some(wider) = requested.iter().find(|s| !original.contains(&s.as_str())) {
                    return Err(TokenError::InvalidScope(format!(
                        "scope `{wider}` was not granted to this refresh token"
                    )));
                }
                requested
            }
            None => original.iter().map(|s| s.to_string()).collect(),
        };
        let user = match user {
            Some(user) if user.active => user,
            _ => return Err(invalid()),
        };
        let refresh_token = if row.rotated_at.is_some() {
            self.replayed(&row, &presented_hash).await?
        } else if client.refresh_token_rotation.unwrap_or(self.config.tokens.refresh_token_rotation) {
            self.rotate(client, &row).await?
        } else {
            presented.to_owned()
        };
        let auth_time = row.auth_time.unwrap_or(row.created_at);
        self.issue(Grant {
            client,
            user: &user,
            scope,
            auth_time,
            refresh_token: Some(refresh_token),
            nonce: None,
            claims: None,
        })
        .await
    }

    /// A token that was already rotated: within the grace period the same successor
    /// again (a client retrying after a lost response), after it the family is revoked.
    async fn replayed(&self, row: &RefreshToken, presented_hash: &str) -> Result<String, TokenError> {
        let within_grace =
            row.rotated_at.is_some_and(|at| self.now - at <= i64::from(self.config.tokens.refresh_reuse_grace_seconds));
        if let (true, Some(sealed)) = (within_grace, row.successor_sealed.as_deref()) {
            let successor =
                sealed::open(&self.config.secret_key, Purpose::RefreshSuccessor, presented_hash.as_bytes(), sealed)?;
            return String::from_utf8(successor)
                .map_err(|_| TokenError::Internal(super::InternalError::new("successor not UTF-8")));
        }
        let revoked = self.store.revoke_refresh_family(&row.family_id, self.now).await?;
        let event = AuditEvent::new("token.refresh_reuse_detected", self.meta, self.now, self.rng)?
            .actor("client", &row.client_id)
            .resource("refresh_token_family", &row.family_id)
            .metadata(json!({ "revoked_tokens": revoked, "rotated_at": row.rotated_at, "user_id": row.user_id }));
        self.audit(event).await?;
        Err(TokenError::InvalidGrant("the refresh token was already used; the grant has been revoked".into()))
    }

    /// Exchanges `row` for a successor in the same family (same scope, RFC 6749 §6).
    pub(super) async fn rotate(&self, client: &Client, row: &RefreshToken) -> Result<String, TokenError> {
        let minted = mint(
            NewToken {
                family_id: Some(&row.family_id),
                parent_hash: Some(&row.token_hash),
                client_id: &row.client_id,
                user_id: row.user_id.as_deref(),
                scope: &row.scope,
                auth_time: row.auth_time,
                session_id: row.session_id.as_deref(),
                ttl: self.refresh_ttl(client),
            },
            self.now,
            self.rng,
        )?;
        let sealed = sealed::seal(
            &self.config.secret_key,
            Purpose::RefreshSuccessor,
            row.token_hash.as_bytes(),
            minted.plaintext.as_bytes(),
            self.rng,
        )?;
        if self.store.rotate_refresh_token(&row.token_hash, &minted.row, &sealed, self.now).await? {
            return Ok(minted.plaintext);
        }
        // A concurrent request rotated it first: answer as a retry of that one.
        let Some(current) = self.store.refresh_token(&row.token_hash).await? else {
            return Err(TokenError::InvalidGrant("the refresh token is invalid, expired or revoked".into()));
        };
        if current.revoked_at.is_some() {
            return Err(TokenError::InvalidGrant("the refresh token is invalid, expired or revoked".into()));
        }
        self.replayed(&current, &row.token_hash).await
    }

    /// The access token, and the ID token when `openid` is granted.
    /// The claims of an access token for `subject` (RFC 9068 §2.2).
    pub(super) fn access_claims(
        &self,
        client: &Client,
        subject: &str,
        scope: &str,
        auth_time: UnixTime,
    ) -> Result<AccessTokenClaims, TokenError> {
        let ttl = self.access_ttl(client);
        let mut claims =
            AccessTokenClaims::new(self.config, subject, &client.client_id, scope, ttl, self.now, self.rng)?;
        claims.auth_time = Some(auth_time);
        Ok(claims)
    }

    pub(super) async fn issue(&self, grant: Grant<'_>) -> Result<TokenResponse, TokenError> {
        let scope = grant.scope.join(" ");
        let ttl = self.access_ttl(grant.client);
        let claims = match grant.claims {
            Some(claims) => claims,
            None => self.access_claims(grant.client, &grant.user.id, &scope, grant.auth_time)?,
        };
        let key = self.keys.signing_key().await?;
        let access_token = claims.sign(self.signer, &key).await?;
        let id_token = if grant.scope.iter().any(|s| s == "openid") {
            let scopes: Vec<&str> = grant.scope.iter().map(String::as_str).collect();
            let facts = IdTokenFacts {
                user: grant.user,
                client_id: &grant.client.client_id,
                scopes: &scopes,
                auth_time: grant.auth_time,
                nonce: grant.nonce,
                access_token: Some(&access_token),
                code: None,
                ttl,
            };
            Some(sign_jwt(self.signer, &key, "JWT", &id_token::claims(self.config, &facts, self.now)).await?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ttl,
            refresh_token: grant.refresh_token,
            scope,
            id_token,
        })
    }
}
