//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3–4.1.4) with PKCE
//! (RFC 7636 §4.5–4.6) and replay handling (§10.5).

use serde_json::json;
use shared::oauth::{grant, TokenResponse};

use super::issue::Grant;
use super::{TokenEndpoint, TokenError, TokenLookups};
use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::{Client, Credentials};
use crate::engine::crypto::pkce::{self, Method as PkceMethod};
use crate::engine::crypto::tokens::{hash_token, random_token};
use crate::engine::oauth::access_token::{AccessTokenClaims, RevocationStore};
use crate::engine::oauth::codes::CodeStore;
use crate::engine::oauth::codes::{AuthorizationCode, OneTripRead, OneTripRedemption, Redemption};
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::oauth::refresh::{mint, Minted, NewToken};
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// One round trip (docs/storage.md, "One trip per grant"): the client, the code and
    /// a guarded redemption in one batch; the checks below decide on the rows it read,
    /// and undo the redemption if they refuse what the guard let through.
    pub(super) async fn authorization_code(
        &self,
        credentials: &Credentials,
        code: Option<&str>,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        requested: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let Some(code) = code else {
            self.authenticate(credentials).await?;
            return Err(TokenError::InvalidRequest("the code parameter is missing".into()));
        };
        let prepared = self.prepare_redemption(credentials, code, redirect_uri, code_verifier, requested)?;
        let read = self.store.code_in_one_trip(&prepared).await?;
        let consumed = read.consumed;
        let decided = self.code_decided(credentials, read, &prepared, code_verifier, requested).await;
        if consumed && decided.is_err() {
            self.store.undo_consume(&prepared).await?;
        }
        decided
    }

    /// The jti, the refresh token and its family chosen before the code is read, and the
    /// guard: closed for RFC 8707 `resource` values (Rust alone resolves those).
    fn prepare_redemption(
        &self,
        credentials: &Credentials,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        requested: &[String],
    ) -> Result<OneTripRedemption, TokenError> {
        let verifier = code_verifier.filter(|v| pkce::valid_challenge(v));
        let refresh_plaintext = random_token(self.rng)?;
        let tokens = &self.config.tokens;
        Ok(OneTripRedemption {
            code_hash: hash_token(code),
            now: self.now,
            jti: random_token(self.rng)?,
            family_id: random_token(self.rng)?,
            refresh_hash: hash_token(&refresh_plaintext),
            refresh_plaintext,
            redirect_uri: redirect_uri.map(str::to_owned),
            verifier: verifier.map(str::to_owned),
            verifier_sent: code_verifier.is_some(),
            s256: verifier.map(pkce::s256_challenge),
            dpop_jkt: self.dpop_jkt.map(str::to_owned),
            access_ttl_default: tokens.access_token_ttl,
            refresh_ttl_default: tokens.refresh_token_ttl,
            max_lifetime: tokens.refresh_token_max_lifetime,
            gate: ClientGate::new(credentials, self.dpop_jkt.is_some(), self.origin, requested.is_empty()),
            proof: self.dpop_unspent.cloned(),
        })
    }

    /// Every check of RFC 6749 §4.1.3 on what the batch read; the tokens.
    async fn code_decided(
        &self,
        credentials: &Credentials,
        read: OneTripRead,
        prepared: &OneTripRedemption,
        code_verifier: Option<&str>,
        requested: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let OneTripRead { client: found, code: row, consumed, refresh_stored, proof_spent } = read;
        self.proof_spent(proof_spent)?;
        let redirect_uri = prepared.redirect_uri.as_deref();
        let client = &self.check_client(found, credentials).await?;
        self.require_binding(client)?;
        if !client.allows_grant(grant::AUTHORIZATION_CODE) {
            return Err(TokenError::UnauthorizedClient("this client may not use the authorization_code grant".into()));
        }
        let Some((row, user)) = row else { return Err(invalid_code()) };
        // §4.1.3: the code must have been issued to the authenticated client.
        if row.client_id != client.client_id {
            return Err(invalid_code());
        }
        if row.consumed_at.is_some() {
            self.code_replayed(&row).await?;
            return Err(invalid_code());
        }
        if row.expires_at <= self.now {
            return Err(invalid_code());
        }
        // §4.1.3: redirect_uri must be identical to the authorization request's (which
        // always had one: /authorize requires it).
        if redirect_uri != Some(row.redirect_uri.as_str()) {
            return Err(TokenError::InvalidGrant("redirect_uri does not match the authorization request".into()));
        }
        check_pkce(&row, code_verifier)?;
        // RFC 9449 §10: a code bound to a DPoP key is redeemed only with a proof of it.
        if row.dpop_jkt.is_some() && row.dpop_jkt.as_deref() != self.dpop_jkt {
            return Err(TokenError::InvalidGrant(
                "the code is bound to a DPoP key (dpop_jkt): send a DPoP proof made with that key".into(),
            ));
        }
        let user = match user {
            Some(user) if user.active => user,
            _ => return Err(invalid_code()),
        };
        let scope: Vec<String> = row.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
        // RFC 8707 §2.2: the resources the authorization request named, or some of them.
        let resources = row.resources.for_request(requested, client).map_err(TokenError::InvalidTarget)?;
        // The jti is fixed before the code is consumed: the consume records it, so a replay
        // can revoke this very token.
        let mut claims = self.access_claims(client, &user.id, &scope, row.auth_time, &resources)?;
        let refresh_token = if consumed {
            claims.jti.clone_from(&prepared.jti);
            self.guarded_refresh(client, &row, &scope, prepared, refresh_stored).await?
        } else {
            // The guard was stricter than the checks (an assertion, a metadata document,
            // RFC 8707 resources): the consume in a second trip, as before the guard.
            self.consume_in_second_trip(client, &row, &scope, &claims).await?
        };
        self.issue(Grant {
            client,
            user: &user,
            scope,
            auth_time: row.auth_time,
            amr: row.amr.as_deref(),
            refresh_token,
            nonce: row.nonce.as_deref(),
            claims: Some(claims),
            session_id: row.session_id.as_deref(),
            resources: &resources,
        })
        .await
    }

    /// Consumes the code recording `claims`' jti, with its refresh token when the grant
    /// issues one; `invalid_grant` (and the replay's revocations) if another request
    /// redeemed it since the read.
    async fn consume_in_second_trip(
        &self,
        client: &Client,
        row: &AuthorizationCode,
        scope: &[String],
        claims: &AccessTokenClaims,
    ) -> Result<Option<String>, TokenError> {
        let refresh = self
            .issues_refresh_tokens(client, scope)
            .then(|| self.code_refresh_token(client, row, None))
            .transpose()?;
        let redemption = Redemption {
            jti: &claims.jti,
            jti_expires_at: claims.exp,
            refresh_token: refresh.as_ref().map(|r| &r.row),
            self_registered_client: client.self_registered.then_some(client.client_id.as_str()),
        };
        if !self.store.consume_code(&row.code_hash, self.now, &redemption).await? {
            // Another request redeemed (or the clock expired) it between our read and now.
            if let Some((current, _)) = self.store.code_with_user(&row.code_hash).await? {
                if current.consumed_at.is_some() {
                    self.code_replayed(&current).await?;
                }
            }
            return Err(invalid_code());
        }
        Ok(refresh.map(|r| r.plaintext))
    }

    /// The refresh token a code's grant gets: a new family (`family_id`, or a fresh one),
    /// keeping the whole grant's scope and resources (a refresh may narrow again).
    fn code_refresh_token(
        &self,
        client: &Client,
        row: &AuthorizationCode,
        family_id: Option<&str>,
    ) -> Result<Minted, InternalError> {
        let max = self.config.tokens.refresh_token_max_lifetime;
        mint(
            NewToken {
                family_id,
                parent_hash: None,
                client_id: &client.client_id,
                user_id: Some(&row.user_id),
                scope: &row.scope,
                auth_time: Some(row.auth_time),
                amr: row.amr.as_deref(),
                session_id: row.session_id.as_deref(),
                ttl: self.refresh_ttl(client),
                // A named family is new too: its end is set here as `mint` would.
                family_expires_at: family_id.and((max > 0).then(|| self.now + i64::from(max))),
                max_lifetime: max,
                resources: &row.resources.identifiers,
                dpop_jkt: self.refresh_binding(client),
            },
            self.now,
            self.rng,
        )
    }

    /// The refresh token of a guarded redemption: the one its batch stored when the grant
    /// issues one (OIDC Core §11); stored now if the SQL did not, removed if the SQL
    /// stored one the grant does not issue. Same family as the consume recorded.
    async fn guarded_refresh(
        &self,
        client: &Client,
        row: &AuthorizationCode,
        scope: &[String],
        prepared: &OneTripRedemption,
        stored: bool,
    ) -> Result<Option<String>, TokenError> {
        match (self.issues_refresh_tokens(client, scope), stored) {
            (true, true) => Ok(Some(prepared.refresh_plaintext.clone())),
            (true, false) => {
                let minted = self.code_refresh_token(client, row, Some(&prepared.family_id))?;
                self.store.insert_refresh_token(&minted.row).await?;
                Ok(Some(minted.plaintext))
            }
            (false, true) => {
                self.store.revoke_refresh_family(&prepared.family_id, self.now).await?;
                Ok(None)
            }
            (false, false) => Ok(None),
        }
    }

    /// RFC 6749 §10.5 / §4.1.2: a code used twice is probably stolen; what the first
    /// redemption issued is revoked, and the attempt is audited.
    async fn code_replayed(&self, row: &AuthorizationCode) -> Result<(), TokenError> {
        let mut revoked_refresh = 0;
        if let Some(family) = &row.issued_family_id {
            revoked_refresh = self.store.revoke_refresh_family(family, self.now).await?;
        }
        if let (Some(jti), Some(expires_at)) = (&row.issued_jti, row.issued_jti_expires_at) {
            self.store.revoke_jti(jti, &row.client_id, expires_at, self.now).await?;
        }
        let event = AuditEvent::new("token.code_replayed", self.meta, self.now, self.rng)?
            .actor("client", &row.client_id)
            .resource("user", &row.user_id)
            .metadata(
                json!({ "revoked_access_token": row.issued_jti.is_some(), "revoked_refresh_tokens": revoked_refresh }),
            );
        self.audit(event).await
    }
}

/// One answer for a code that is unknown, expired, used or not the client's.
fn invalid_code() -> TokenError {
    TokenError::InvalidGrant("the authorization code is invalid, expired or already used".into())
}

/// RFC 7636 §4.6: a code issued with a challenge needs the matching verifier; one issued
/// without cannot be redeemed with a verifier (a downgrade or a mix-up, RFC 9700 §4.8.2).
fn check_pkce(row: &AuthorizationCode, verifier: Option<&str>) -> Result<(), TokenError> {
    match (&row.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            let method = row.code_challenge_method.unwrap_or(PkceMethod::Plain);
            if pkce::verify(method, challenge, verifier) {
                Ok(())
            } else {
                Err(TokenError::InvalidGrant("code_verifier does not match the code_challenge".into()))
            }
        }
        (Some(_), None) => Err(TokenError::InvalidGrant("code_verifier is required for this code (PKCE)".into())),
        (None, Some(_)) => {
            Err(TokenError::InvalidGrant("this code was issued without a code_challenge; drop code_verifier".into()))
        }
        (None, None) => Ok(()),
    }
}
