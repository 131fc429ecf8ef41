//! The resource owner password credentials grant (RFC 6749 §4.3), off unless
//! `ENABLE_PASSWORD_GRANT=true` and only for the clients `PASSWORD_GRANT_ALLOWED_CLIENTS`
//! names.

use shared::oauth::{grant, TokenResponse};

use super::issue::Grant;
use super::{TokenEndpoint, TokenError};
use crate::engine::clients::{Client, Credentials};
use crate::engine::identity::login::{check_password, record_login, LoginContext, LoginError};
use crate::engine::identity::mfa;
use crate::engine::identity::password_expiry::{self, Expiry};
use crate::engine::identity::rate_limit;
use crate::engine::identity::users::{User, UserStore};
use crate::engine::oauth::resources::TargetResource;
use crate::engine::platform::request::Platform;

impl<P: Platform> TokenEndpoint<'_, P> {
    /// RFC 6749 §4.3, allowed only when `ENABLE_PASSWORD_GRANT=true`, for clients listed in
    /// `PASSWORD_GRANT_ALLOWED_CLIENTS` and registered for the grant (docs/api.md, "Endpoints").
    /// `LOCKOUT_BY_IP` holds here as for browser sign-in (`identity::rate_limit`): a paused
    /// address is refused before anything is checked, and a wrong password counts.
    pub(super) async fn password(
        &self,
        credentials: &Credentials,
        username: Option<&str>,
        password: Option<&str>,
        scope: Option<&str>,
        resources: &[String],
    ) -> Result<TokenResponse, TokenError> {
        let ip = self.meta.ip_address.as_deref();
        rate_limit::ip_lockout_check(self.kv, self.config, ip, self.now).await?;
        let (client, resources) = self.client_and_resources(credentials, resources).await?;
        self.require_binding(&client)?;
        let result = self.password_grant(&client, username, password, scope, &resources).await;
        if matches!(result, Err(TokenError::InvalidGrant(_))) {
            rate_limit::ip_lockout_count(self.kv, self.config, ip, self.now).await?;
        }
        result
    }

    async fn password_grant(
        &self,
        client: &Client,
        username: Option<&str>,
        password: Option<&str>,
        scope: Option<&str>,
        resources: &[TargetResource],
    ) -> Result<TokenResponse, TokenError> {
        let security = &self.config.security;
        if !security.enable_password_grant
            || !security.password_grant_allowed_clients.iter().any(|c| c == &client.client_id)
            || !client.allows_grant(grant::PASSWORD)
        {
            return Err(TokenError::UnauthorizedClient("this client may not use the password grant".into()));
        }
        let (Some(username), Some(password)) = (username, password) else {
            return Err(TokenError::InvalidRequest("username and password are required".into()));
        };
        let scope = self.requested_scope(client, scope)?;
        let user = self.check_password(client, username, password).await?;
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
        grant.refresh_token = self.stored_refresh_token(&grant, &identifiers).await?;
        self.issue(grant).await
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
        let user = check_password(self.store, self.rng, &cx, username, password).await.map_err(|e| match e {
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
        let state = self.store.mfa_state(&user.id).await?;
        if state.enabled() || mfa::required(self.config, user.role) {
            return Err(TokenError::InvalidGrant(
                "this account signs in with a second factor, which the password grant cannot carry; \
                 use the authorization code flow"
                    .into(),
            ));
        }
        // An expired password (beyond PASSWORD_EXPIRY_GRACE_DAYS) signs in nowhere until changed.
        if let Expiry::Expired { .. } = password_expiry::of_user(self.store, self.config, &user, self.now).await? {
            return Err(TokenError::InvalidGrant(
                "the password has expired; sign in on the web to choose a new one, or reset it".into(),
            ));
        }
        record_login(self.store, self.rng, &cx, &user, false).await?;
        Ok(user)
    }
}
