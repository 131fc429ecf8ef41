//! The resource owner password credentials grant (RFC 6749 §4.3), off unless
//! `ENABLE_PASSWORD_GRANT=true` and only for the clients `PASSWORD_GRANT_ALLOWED_CLIENTS`
//! names.

use futures_util::future::join;
use shared::oauth::{grant, TokenResponse};

use super::issue::Grant;
use super::{TokenEndpoint, TokenError};
use crate::engine::clients::{Client, Credentials};
use crate::engine::identity::login::{self, login_statements, verify_account, AccountRead, LoginContext, LoginError};
use crate::engine::identity::mfa;
use crate::engine::identity::password_expiry::{self, Expiry};
use crate::engine::identity::rate_limit;
use crate::engine::identity::users::User;
use crate::engine::oauth::resources::{self, TargetResource};
use crate::engine::oauth::token::TokenLookups;
use crate::engine::platform::ports::SqlRunner;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// RFC 6749 §4.3, allowed only when `ENABLE_PASSWORD_GRANT=true`, for clients listed in
    /// `PASSWORD_GRANT_ALLOWED_CLIENTS` and registered for the grant (docs/api.md, "Endpoints").
    /// `LOCKOUT_BY_IP` holds here as for browser sign-in (`identity::rate_limit`): a paused
    /// address is refused before anything is checked, and a wrong password counts.
    ///
    /// Two round trips, like a browser sign-in (docs/storage.md, "One trip per grant"): the
    /// client, the account and its second-factor state and password age in one batch (the
    /// address's pause read beside it), then argon2id, then one batch with the sign-in's
    /// record and the refresh token, or the failure's.
    pub(super) async fn password(
        &self,
        credentials: &Credentials,
        username: Option<&str>,
        password: Option<&str>,
        scope: Option<&str>,
        resources: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let ip = self.meta.ip_address.as_deref();
        let email = username.map(str::trim).unwrap_or_default();
        let paused = rate_limit::ip_lockout_check(self.kv, self.config, ip, self.now);
        let (paused, read) = join(paused, self.client_and_account(credentials, resources, email)).await;
        paused?;
        let (client, resources, account) = read?;
        self.require_binding(&client)?;
        let result = self.password_grant(&client, username, password, scope, &resources, account).await;
        if matches!(result, Err(TokenError::InvalidGrant(_))) {
            rate_limit::ip_lockout_count(self.kv, self.config, ip, self.now).await?;
        }
        result
    }

    /// The client (authenticated as for any grant), the resources, and the account with
    /// the address `email`, in one batch; with a DPoP proof to spend, the client's batch
    /// spends it (RFC 9449 §11.1) and the account is read after it.
    async fn client_and_account(
        &self,
        credentials: &Credentials,
        resources: &[String],
        email: &str,
    ) -> Result<(Client, Vec<TargetResource>, AccountRead), TokenError> {
        if self.dpop_unspent.is_some() {
            let (client, chosen) = self.client_and_resources(credentials, resources).await?;
            let results = self.store.query_batch(&login::account_statements(email)).await?;
            return Ok((client, chosen, login::decode_account(&mut results.into_iter())?));
        }
        let (found, known, account) =
            self.store.client_resources_and_account(credentials.client_id(), resources, email).await?;
        let client = self.check_client(found, credentials).await?;
        let chosen = resources::resolve(resources, &known, &client).map_err(TokenError::InvalidTarget)?;
        Ok((client, chosen, account))
    }

    async fn password_grant(
        &self,
        client: &Client,
        username: Option<&str>,
        password: Option<&str>,
        scope: Option<&str>,
        resources: &[TargetResource],
        account: AccountRead,
    ) -> Result<TokenResponse, TokenError> {
        let security = &self.config.security;
        if !security.enable_password_grant
            || !security.password_grant_allowed_clients.iter().any(|c| c == &client.client_id)
            || !client.allows_grant(grant::PASSWORD)
        {
            return Err(TokenError::UnauthorizedClient("this client may not use the password grant".into()));
        }
        let (Some(_), Some(password)) = (username, password) else {
            return Err(TokenError::InvalidRequest("username and password are required".into()));
        };
        let scope = self.requested_scope(client, scope)?;
        let cx = LoginContext {
            config: self.config,
            meta: self.meta,
            now: self.now,
            method: "password_grant",
            client_id: Some(&client.client_id),
        };
        let user = self.check_password(&cx, account, password).await?;
        let scope = user.grantable(&scope);
        let identifiers: Vec<String> = resources.iter().map(|r| r.identifier.clone()).collect();
        let mut grant = Grant {
            client,
            user: &user,
            scope,
            auth_time: self.now,
            amr: Some("pwd"),
            refresh_token: None,
            nonce: None,
            claims: None,
            session_id: None,
            resources,
        };
        // The sign-in is recorded with the refresh token it yields: one batch, both or neither.
        let login = login_statements(self.rng, &cx, &user, false)?;
        grant.refresh_token = self.stored_refresh_token_with(&grant, &identifiers, login).await?;
        self.issue(grant).await
    }

    /// The account's user if `password` is theirs (engine::login) and the grant can sign
    /// them in, or `invalid_grant`; a failure's writes are made here.
    async fn check_password(
        &self,
        cx: &LoginContext<'_>,
        account: AccountRead,
        password: &str,
    ) -> Result<User, TokenError> {
        let user = verify_account(self.store, self.rng, cx, account.user, password).await.map_err(|e| match e {
            // The same answer for unknown, wrong and locked (identity::login).
            LoginError::Invalid => TokenError::InvalidGrant(
                "the username or password is incorrect, or sign-in to the account is paused after failed attempts"
                    .into(),
            ),
            LoginError::EmailNotVerified => TokenError::InvalidGrant("the email address is not verified yet".into()),
            LoginError::Internal(e) => TokenError::Internal(e),
        })?;
        // The grant carries no second factor: an account that signs in with one (or must)
        // cannot use it, or the password alone would be enough after all.
        if account.mfa.enabled() || mfa::required(self.config, user.role) {
            return Err(TokenError::InvalidGrant(
                "this account signs in with a second factor, which the password grant cannot carry; \
                 use the authorization code flow"
                    .into(),
            ));
        }
        // An expired password (beyond PASSWORD_EXPIRY_GRACE_DAYS) signs in nowhere until changed.
        if let Expiry::Expired { .. } =
            password_expiry::of_changed_at(self.config, &user, account.password_changed_at, self.now)
        {
            return Err(TokenError::InvalidGrant(
                "the password has expired; sign in on the web to choose a new one, or reset it".into(),
            ));
        }
        Ok(user)
    }
}
