//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700
//! §4.14.2).

use serde_json::json;
use shared::oauth::{grant, TokenResponse};

use super::issue::Grant;
use super::{RefreshRead, TokenEndpoint, TokenError, TokenLookups};
use crate::engine::clients::gate::ClientGate;
use crate::engine::clients::{Client, ClientType, Credentials};
use crate::engine::crypto::sealed::{self, Purpose};
use crate::engine::crypto::tokens::{hash_token, random_token};
use crate::engine::identity::mfa;
use crate::engine::identity::password_expiry::{self, Expiry};
use crate::engine::identity::users::User;
use crate::engine::oauth::refresh::RefreshStore;
use crate::engine::oauth::refresh::{mint, NewToken, RefreshToken, Rotation};
use crate::engine::oauth::scope::parse_scope;
use crate::engine::ops::audit::AuditEvent;
use crate::engine::platform::config::Config;
use crate::engine::platform::error::InternalError;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// RFC 6749 §6. The scope may be narrowed, never widened. With rotation, the presented
    /// token is exchanged for a successor in one atomic step; a retry within
    /// `REFRESH_REUSE_GRACE_SECONDS` gets the same successor; reuse after that revokes the
    /// whole family (RFC 9700 §4.14.2) and is audited as possible theft.
    ///
    /// One round trip (docs/storage.md, "One trip per grant"): the client, the token and
    /// a guarded rotation in one batch; the checks below decide on the rows it read, and
    /// undo the rotation if they refuse what the guard let through.
    pub(super) async fn refresh(
        &self,
        credentials: &Credentials,
        refresh_token: Option<&str>,
        scope: Option<&str>,
        requested: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let Some(presented) = refresh_token else {
            // A bad client hears invalid_client first, as for every other grant.
            self.authenticate(credentials).await?;
            return Err(TokenError::InvalidRequest("the refresh_token parameter is missing".into()));
        };
        let rotation = self.prepare_rotation(credentials, presented, scope, requested)?;
        let read = self.store.refresh_in_one_trip(&rotation).await?;
        let rotated = read.rotated;
        let decided = self.refresh_decided(credentials, presented, read, &rotation, scope, requested).await;
        if rotated && decided.is_err() {
            self.store.undo_rotation(&rotation.parent_hash, &rotation.successor_hash).await?;
        }
        decided
    }

    /// The successor chosen and sealed before the token is read, and the guard: closed
    /// for RFC 8707 `resource` values and a scope that does not parse (Rust alone
    /// answers those).
    fn prepare_rotation(
        &self,
        credentials: &Credentials,
        presented: &str,
        scope: Option<&str>,
        requested: &[String],
    ) -> Result<Rotation, TokenError> {
        let parent_hash = hash_token(presented);
        let scopes = scope.map(parse_scope).transpose().ok();
        let scopes_json = serde_json::to_string(&scopes.clone().flatten().unwrap_or_default())
            .map_err(|e| TokenError::Internal(InternalError::new(format!("scope as JSON: {e}"))))?;
        let open = requested.is_empty() && scopes.is_some();
        let successor_plaintext = random_token(self.rng)?;
        let successor_sealed = sealed::seal(
            &self.config.secret_key,
            Purpose::RefreshSuccessor,
            parent_hash.as_bytes(),
            successor_plaintext.as_bytes(),
            self.rng,
        )?;
        Ok(Rotation {
            successor_hash: hash_token(&successor_plaintext),
            parent_hash,
            successor_plaintext,
            successor_sealed,
            now: self.now,
            dpop_jkt: self.dpop_jkt.map(str::to_owned),
            scopes_json,
            rotation_default: self.config.tokens.refresh_token_rotation,
            refresh_ttl_default: self.config.tokens.refresh_token_ttl,
            gate: ClientGate::new(credentials, self.dpop_jkt.is_some(), self.origin, open),
            proof: self.dpop_unspent.cloned(),
        })
    }

    /// Every check of RFC 6749 §6 on what the batch read; the token to hand out.
    async fn refresh_decided(
        &self,
        credentials: &Credentials,
        presented: &str,
        read: RefreshRead,
        rotation: &Rotation,
        scope: Option<&str>,
        requested: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let invalid = || TokenError::InvalidGrant("the refresh token is invalid, expired or revoked".into());
        let RefreshRead { client: found, token, rotated, proof_spent } = read;
        self.proof_spent(proof_spent)?;
        let presented_hash = &rotation.parent_hash;
        let client = &self.check_client(found, credentials).await?;
        self.require_binding(client)?;
        if !client.allows_grant(grant::REFRESH_TOKEN) {
            return Err(TokenError::UnauthorizedClient("this client may not use the refresh_token grant".into()));
        }
        let Some((row, user)) = token else { return Err(invalid()) };
        // §6: the token must have been issued to the authenticated client.
        if row.client_id != client.client_id || row.revoked_at.is_some() || row.expires_at <= self.now {
            return Err(invalid());
        }
        let original: Vec<&str> = row.scope.split(' ').filter(|s| !s.is_empty()).collect();
        let scope = match scope {
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
        self.account_still_allows(&row, &user)?;
        // RFC 9449 §5: a bound family refreshes only with a proof of its key.
        if let Some(bound) = row.dpop_jkt.as_deref() {
            match self.dpop_jkt {
                Some(jkt) if jkt == bound => {}
                Some(_) => {
                    return Err(TokenError::InvalidDpopProof("this refresh token is bound to another DPoP key".into()))
                }
                None => {
                    return Err(TokenError::InvalidDpopProof("this refresh token needs a DPoP proof of its key".into()))
                }
            }
        }
        // RFC 8707 §2.2: the grant's resources, or one of them, never another.
        let resources = row.resources.for_request(requested, client).map_err(TokenError::InvalidTarget)?;
        let refresh_token = if rotated {
            rotation.successor_plaintext.clone()
        } else if row.rotated_at.is_some() {
            self.replayed(&row, presented_hash).await?
        } else if rotates(client, self.config) {
            // The guard was stricter than the checks (an assertion, a metadata document):
            // the rotation in a second trip.
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
            amr: row.amr.as_deref(),
            refresh_token: Some(refresh_token),
            nonce: None,
            claims: None,
            session_id: row.session_id.as_deref(),
            resources: &resources,
        })
        .await
    }

    /// The account's rules hold for a refresh as for a sign-in (docs/security.md, "What
    /// ends with a factor"): a password that has expired since, or a second factor the
    /// account must now show (`REQUIRE_MFA`/`REQUIRE_ADMIN_MFA` past its grace period) that
    /// the sign-in did not, send the person back to sign in; the family stays as it is.
    fn account_still_allows(&self, row: &RefreshToken, user: &User) -> Result<(), TokenError> {
        let methods: Vec<&str> = row.amr.as_deref().unwrap_or("pwd").split(' ').collect();
        let changed = row.holder.password_changed_at;
        if methods.contains(&"pwd")
            && matches!(password_expiry::of_changed_at(self.config, user, changed, self.now), Expiry::Expired { .. })
        {
            return Err(TokenError::InvalidGrant("the password has expired: sign in again to change it".into()));
        }
        let grace = i64::from(self.config.security.mfa_grace_period_days) * 86_400;
        let grace_over = grace == 0 || row.holder.mfa_asked_at.is_some_and(|asked| self.now >= asked + grace);
        if mfa::required(self.config, user.role) && !methods.contains(&"mfa") && grace_over {
            return Err(TokenError::InvalidGrant("a second factor is now required: sign in again".into()));
        }
        Ok(())
    }

    /// A token that was already rotated: the same successor again while the successor has
    /// not been used itself and the grace period lasts (a client retrying after a lost
    /// answer: docs/configuration.md, `REFRESH_REUSE_GRACE_SECONDS`); otherwise the family
    /// is revoked (RFC 9700 §4.14.2). A token used after its successor was used is reuse
    /// whatever the time: one of its two holders is not the client.
    async fn replayed(&self, row: &RefreshToken, presented_hash: &str) -> Result<String, TokenError> {
        let within_grace =
            row.rotated_at.is_some_and(|at| self.now - at <= i64::from(self.config.tokens.refresh_reuse_grace_seconds));
        if let (true, true, Some(sealed)) = (within_grace, row.successor_unused, row.successor_sealed.as_deref()) {
            let successor =
                sealed::open(&self.config.secret_key, Purpose::RefreshSuccessor, presented_hash.as_bytes(), sealed)?;
            return String::from_utf8(successor)
                .map_err(|_| TokenError::Internal(InternalError::new("successor not UTF-8")));
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
                amr: row.amr.as_deref(),
                session_id: row.session_id.as_deref(),
                ttl: self.refresh_ttl(client),
                family_expires_at: row.family_expires_at,
                max_lifetime: self.config.tokens.refresh_token_max_lifetime,
                resources: &row.resources.identifiers,
                // The successor keeps the family's binding.
                dpop_jkt: row.dpop_jkt.as_deref(),
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
}

/// Whether `client`'s refresh tokens rotate: per client, else `REFRESH_TOKEN_ROTATION`;
/// a public client's always do (RFC 9700 §4.14.2: it has no secret that binds the token);
/// a FAPI 2.0 client's never do (FAPI 2.0 §5.3.2.1: its tokens are bound to its DPoP key
/// instead, and a lost rotation answer would end its grant).
pub fn rotates(client: &Client, config: &Config) -> bool {
    if client.fapi2 {
        return false;
    }
    client.client_type == ClientType::Public
        || client.refresh_token_rotation.unwrap_or(config.tokens.refresh_token_rotation)
}
